// Drives "Claim a card from the old program": the operator imports the old members through the admin API,
// a signed-in member enters a card number on the account page and the code the card's contact received.
import type { TestServer } from './test-server.ts';
import type { Page, UserAgent } from './user-agent.ts';

/** A row of the admin import, as the old program's export would give it. */
export interface ImportRow {
  card_number: string;
  name: string;
  email?: string | null;
  phone?: string | null;
  balance: number;
}

export interface ImportReply {
  status: number;
  body: {
    received?: number;
    inserted?: number;
    updated?: number;
    claimed?: Array<{ index: number; card_number: string }>;
    rejected?: number;
    errors?: Array<{ index: number; fields: Record<string, string> }>;
    error?: string;
  };
}

let counter = 0;
/** A 12-digit card number of the old program, new on each call, with a leading zero (it is part of the number). */
export function uniqueCardNumber(): string {
  counter += 1;
  return `0${String(process.pid % 100_000).padStart(5, '0')}${String(Date.now() % 1000).padStart(3, '0')}${String(counter).padStart(3, '0')}`;
}

/** "1234 5678 9012": how members type the number printed on their card. */
export function typedAsPrinted(cardNumber: string): string {
  return cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** POST /admin/imported-members with the bootstrap admin's token; `rows` is sent as given (bad rows included). */
export async function importMembers(server: TestServer, rows: unknown): Promise<ImportReply> {
  const response = await fetch(`${server.url}/admin/imported-members`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await server.adminToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(rows),
  });
  return { status: response.status, body: (await response.json()) as ImportReply['body'] };
}

/** Imports one card and checks it went in. */
export async function importCard(server: TestServer, row: Partial<ImportRow> = {}): Promise<ImportRow> {
  const card: ImportRow = { card_number: uniqueCardNumber(), name: 'Pat Oldcard', email: null, phone: null, balance: 1234, ...row };
  const reply = await importMembers(server, [card]);
  if (reply.status !== 200 || reply.body.rejected !== 0) throw new Error(`import failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return card;
}

/** "Claim a card from the old program": the number form, submitted with `typed`. Returns where it led. */
export async function submitCardNumber(ua: UserAgent, typed: string): Promise<Page> {
  return ua.submit(await ua.follow('/account/card'), '/account/card', { card_number: typed });
}

export function isCardCodePage(page: Page): boolean {
  return page.status === 200 && page.url.includes('/account/card/verify') && page.body.includes('name="code"');
}

/** The code page's form, with `code`. */
export function submitCardCode(ua: UserAgent, codePage: Page, code: string): Promise<Page> {
  return ua.submit(codePage, '/account/card/verify', { code });
}

/** The points the account page shows in its loyalty card section. */
export function pointsOn(page: Page): number | undefined {
  const points = /<p>Points: ([\d,]+)<\/p>/.exec(page.body)?.[1];
  return points === undefined ? undefined : Number(points.replace(/,/g, ''));
}
