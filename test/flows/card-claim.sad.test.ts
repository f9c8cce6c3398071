// Threats against claiming a card from the old program: finding out which cards exist (unknown, claimed and
// real cards answer alike, also in the resend wait), guessing the code (five tries), old or replayed codes,
// two accounts racing for one card, double credit on a retry, junk card numbers, no session, forged posts,
// and bad rows in the operator's import.
import { randomInt } from 'node:crypto';
import { accountCsrf, isSecurityPage, isSignInPage, noticeOn, signedInMember } from '../support/account.ts';
import { importCard, importMembers, isCardCodePage, pointsOn, submitCardCode, submitCardNumber, uniqueCardNumber } from '../support/card.ts';
import { uniqueEmail, UserAgent } from '../support/member.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const SENT = 'If this card is in our records and not yet claimed, we sent a 6-digit code to the email address or mobile number we have for it. It expires in 10 minutes.';
const CLAIMED = 'Card added. Its points are in your balance now.';
const WRONG_CODE = 'That code is not right. Check it and try again.';
const EXHAUSTED = 'Too many wrong codes. Ask for a new one.';
const EXPIRED = 'That code has expired. Ask for a new one.';
const TOO_SOON = 'Wait a little before asking for a new code.';
const BAD_NUMBER = 'Enter the card number: 8 to 19 digits.';
const FORBIDDEN = 'That request was not allowed.';

/** Long enough for a message that was going to be sent to reach the sink (sending runs after the answer). */
const SETTLE_MS = 500;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** A code that is not `code` (six digits). */
function otherThan(code: string): string {
  return String((Number(code) + 1 + randomInt(999_998)) % 1_000_000).padStart(6, '0');
}

/** The page as anyone could compare two of them: without this session's CSRF token and the typed card number. */
function comparable(page: Page, cardNumber: string): string {
  return page.body.replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""').replaceAll(cardNumber, '<card>');
}

/** The card number the code page's "Send a new code" form carries. */
function resendValueOn(page: Page): string | undefined {
  return /name="card_number" value="([^"]*)"/.exec(page.body)?.[1];
}

/** The error shown at the code field, if any. */
function fieldErrorOn(page: Page): string | undefined {
  return /class="field-error" id="[^"]+"><span class="visually-hidden">Error: <\/span>([^<]*)</.exec(page.body)?.[1]?.replace(/&#39;/g, "'");
}

describe.each(STORES)('claiming a card, threats (%s)', (store) => {
  const fx = useMemberServer(store);
  const storage = () => fx.server.container.storage;
  const balanceOf = async (accountId: string) => (await storage().loyalty.findMember(accountId))?.balance ?? 0;

  /** A card on file with its own email, and a signed-in member who has its code page open. */
  async function startedClaim(fixture: MemberServer, prefix: string, balance = 300) {
    const cardEmail = uniqueEmail(`${prefix}-card`);
    const card = await importCard(fixture.server, { email: cardEmail, balance });
    const member = await signedInMember(fixture, prefix);
    const before = fixture.sink.countFor(cardEmail);
    const codePage = await submitCardNumber(member.ua, card.card_number);
    expect(isCardCodePage(codePage)).toBe(true);
    const code = await fixture.sink.waitForCode(cardEmail, { after: before });
    return { ...member, card, cardEmail, codePage, code };
  }

  describe('enumeration', () => {
    test('an unknown card and one another account claimed get the very page a card on file gets, and send nothing', async () => {
      const { ua, accountId } = await signedInMember(fx, 'enum-prober');
      const onFile = await importCard(fx.server, { email: uniqueEmail('enum-on-file'), balance: 10 });
      const claimedEmail = uniqueEmail('enum-claimed');
      const claimed = await importCard(fx.server, { email: claimedEmail, phone: null, balance: 20 });
      expect(await storage().importedMembers.claim(claimed.card_number, 'someone-else')).toMatchObject({ ok: true });
      const unknown = uniqueCardNumber();

      const pages = [];
      for (const card of [onFile.card_number, unknown, claimed.card_number]) {
        const page = await submitCardNumber(ua, card);
        expect([page.status, page.url.replace(fx.server.url, ''), noticeOn(page)]).toEqual([200, '/account/card/verify', SENT]);
        pages.push(comparable(page, card));
      }
      expect(pages[1]).toBe(pages[0]);
      expect(pages[2]).toBe(pages[0]);

      await settle();
      expect(fx.sink.countFor(claimedEmail)).toBe(0);
      // Any code for them fails like a wrong code, and nothing moves.
      const codePage = await ua.follow('/account/card/verify');
      const refused = await submitCardCode(ua, codePage, '123456');
      expect(refused.status).toBe(400);
      expect(fieldErrorOn(refused)).toBe(WRONG_CODE);
      expect(await storage().importedMembers.find(claimed.card_number)).toMatchObject({ claimedBy: 'someone-else' });
      expect(await balanceOf(accountId)).toBe(0);
    });
  });

  describe('guessing and reusing codes', () => {
    test('five wrong codes kill the code: the right one is then refused too, and a new code works', async () => {
      const { ua, accountId, card, cardEmail, codePage, code } = await startedClaim(fx, 'guess');
      let page = codePage;
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        page = await submitCardCode(ua, page, otherThan(code));
        expect(page.status).toBe(400);
        expect(fieldErrorOn(page)).toBe(attempt < 5 ? WRONG_CODE : EXHAUSTED);
      }
      const right = await submitCardCode(ua, page, code);
      expect(fieldErrorOn(right)).toBe(EXHAUSTED);
      expect(await storage().importedMembers.find(card.card_number)).toMatchObject({ claimedBy: null });
      expect(await balanceOf(accountId)).toBe(0);

      // "Send a new code" on the page: the card is not locked for its owner.
      const before = fx.sink.countFor(cardEmail);
      const again = await ua.follow('/account/card', { form: { csrf: accountCsrf(right), card_number: resendValueOn(right) ?? '' } });
      expect(resendValueOn(right)).toBe(card.card_number);
      expect(noticeOn(again)).toBe(SENT);
      const done = await submitCardCode(ua, again, await fx.sink.waitForCode(cardEmail, { after: before }));
      expect(noticeOn(done)).toBe(CLAIMED);
      expect(await balanceOf(accountId)).toBe(300);
    });

    test('an expired code is refused and moves nothing', async () => {
      const { ua, accountId, card, codePage, code } = await startedClaim(fx, 'expired');
      const stored = await storage().codes.find('card_claim', accountId);
      await storage().codes.put({ ...stored!, expiresAt: new Date(Date.now() - 1000) });
      const page = await submitCardCode(ua, codePage, code);
      expect(page.status).toBe(400);
      expect(fieldErrorOn(page)).toBe(EXPIRED);
      expect(await storage().importedMembers.find(card.card_number)).toMatchObject({ claimedBy: null });
      expect(await balanceOf(accountId)).toBe(0);
    });

    test('a used code cannot be replayed, and entering the card again credits nothing more', async () => {
      const { ua, accountId, card, cardEmail, codePage, code } = await startedClaim(fx, 'replay');
      expect(noticeOn(await submitCardCode(ua, codePage, code))).toBe(CLAIMED);
      const replayed = await submitCardCode(ua, codePage, code);
      expect(replayed.status).toBe(400);
      expect(fieldErrorOn(replayed)).toBe(WRONG_CODE);

      const mails = fx.sink.countFor(cardEmail);
      const again = await submitCardNumber(ua, card.card_number);
      expect(isSecurityPage(again)).toBe(true);
      expect(noticeOn(again)).toBe(CLAIMED);
      expect(pointsOn(again)).toBe(300);
      await settle();
      expect(fx.sink.countFor(cardEmail)).toBe(mails);
      expect(await storage().loyalty.listEntries(accountId, { limit: 10 })).toHaveLength(1);
      expect(await storage().loyalty.sumEntries(accountId)).toBe(300);
    });

    test('a claim whose credit a crash cut short is credited once when the member enters the card again', async () => {
      const card = await importCard(fx.server, { email: uniqueEmail('crash-card'), balance: 77 });
      const { ua, accountId } = await signedInMember(fx, 'crash');
      // As a process that died between claiming the record and posting its points would leave it.
      expect(await storage().importedMembers.claim(card.card_number, accountId)).toMatchObject({ ok: true, alreadyYours: false });
      expect(await balanceOf(accountId)).toBe(0);
      for (let round = 0; round < 2; round += 1) {
        const page = await submitCardNumber(ua, card.card_number);
        expect(noticeOn(page)).toBe(CLAIMED);
        expect(pointsOn(page)).toBe(77);
      }
      expect(await storage().loyalty.listEntries(accountId, { limit: 10 })).toHaveLength(1);
    });

    test('a code sent before the operator replaced the card\'s contact no longer claims it', async () => {
      const { ua, accountId, card, codePage, code } = await startedClaim(fx, 'recontact');
      expect((await importMembers(fx.server, [{ ...card, email: uniqueEmail('recontact-new') }])).body.updated).toBe(1);
      const page = await submitCardCode(ua, codePage, code);
      expect(page.status).toBe(400);
      expect(await storage().importedMembers.find(card.card_number)).toMatchObject({ claimedBy: null });
      expect(await balanceOf(accountId)).toBe(0);
    });
  });

  test('three accounts racing for one card: exactly one gets the points, once; the others are told the code is wrong', async () => {
    const cardEmail = uniqueEmail('race-card');
    const card = await importCard(fx.server, { email: cardEmail, balance: 900 });
    const racers: Array<Awaited<ReturnType<typeof signedInMember>> & { codePage: Page; code: string }> = [];
    for (const name of ['race-a', 'race-b', 'race-c']) {
      const member = await signedInMember(fx, name);
      const before = fx.sink.countFor(cardEmail);
      const codePage = await submitCardNumber(member.ua, card.card_number);
      racers.push({ ...member, codePage, code: await fx.sink.waitForCode(cardEmail, { after: before }) });
    }
    const pages = await Promise.all(racers.map(({ ua, codePage, code }) => submitCardCode(ua, codePage, code)));

    const winners = pages.flatMap((page, i) => (noticeOn(page) === CLAIMED ? [racers[i]!] : []));
    expect(winners).toHaveLength(1);
    for (const page of pages.filter((p) => noticeOn(p) !== CLAIMED)) {
      expect(page.status).toBe(400);
      expect(fieldErrorOn(page)).toBe(WRONG_CODE);
    }
    const balances = await Promise.all(racers.map(({ accountId }) => balanceOf(accountId)));
    expect(balances.sort((a, b) => a - b)).toEqual([0, 0, 900]);
    expect(await storage().loyalty.findEntryByKey(`card:${card.card_number}`)).toMatchObject({ accountId: winners[0]!.accountId, points: 900 });
    expect(await storage().importedMembers.find(card.card_number)).toMatchObject({ claimedBy: winners[0]!.accountId });
  });

  describe('junk card numbers', () => {
    test.each([
      ['seven digits', '1234567'],
      ['twenty digits', '12345678901234567890'],
      ['letters', 'ABCD-EFGH-IJKL'],
      ['other digits', '١٢٣٤٥٦٧٨٩'],
      ['nothing', ''],
      ['65 characters', '1'.repeat(65)],
      ['10,000 characters', '9'.repeat(10_000)],
    ])('%s: refused before any lookup, no code made, nothing sent', async (_name, typed) => {
      const { ua, accountId } = await signedInMember(fx, 'junk');
      const page = await submitCardNumber(ua, typed);
      expect(page.status).toBe(400);
      expect(page.url).toMatch(/\/account\/card$/);
      expect(fieldErrorOn(page)).toBe(BAD_NUMBER);
      expect(await storage().codes.find('card_claim', accountId)).toBeUndefined();
    });

    test('a body over the form limit is a 400 error page, and no code is made', async () => {
      const { ua, accountId } = await signedInMember(fx, 'junk-huge');
      const csrf = accountCsrf(await ua.follow('/account/card'));
      const page = await ua.request('/account/card', { form: { csrf, card_number: '1'.repeat(20_000) } });
      expect(page.status).toBe(400);
      expect(await storage().codes.find('card_claim', accountId)).toBeUndefined();
    });
  });

  describe('no session, forged posts', () => {
    test('without a session every card page leads to the sign-in page, and a post changes nothing', async () => {
      const cardEmail = uniqueEmail('nosession-card');
      const card = await importCard(fx.server, { email: cardEmail });
      for (const path of ['/account/card', '/account/card/verify']) {
        expect(isSignInPage(await new UserAgent(fx.server.url).follow(path))).toBe(true);
        const posted = await new UserAgent(fx.server.url).request(path, { form: { csrf: 'x', card_number: card.card_number, code: '123456' } });
        expect(posted.status).toBe(303);
        expect(posted.headers.get('location')).toBe('/account/security');
      }
      await settle();
      expect(fx.sink.countFor(cardEmail)).toBe(0);
    });

    test('no CSRF token, or one of another session: 403, no code sent, no claim', async () => {
      const cardEmail = uniqueEmail('csrf-card');
      const card = await importCard(fx.server, { email: cardEmail });
      const victim = await signedInMember(fx, 'csrf-victim');
      const attacker = await signedInMember(fx, 'csrf-attacker');
      const attackerToken = accountCsrf(await attacker.ua.follow('/account/card'));
      const victimToken = accountCsrf(await victim.ua.follow('/account/card'));
      for (const form of [{}, { csrf: attackerToken }] as Array<Record<string, string>>) {
        const start = await victim.ua.request('/account/card', { form: { ...form, card_number: card.card_number } });
        expect([start.status, start.body.includes(FORBIDDEN)]).toEqual([403, true]);
        const confirm = await victim.ua.request('/account/card/verify', { form: { ...form, code: '123456' } });
        expect([confirm.status, confirm.body.includes(FORBIDDEN)]).toEqual([403, true]);
      }
      const crossSite = await victim.ua.request('/account/card', { form: { csrf: victimToken, card_number: card.card_number }, headers: { origin: 'https://evil.example' } });
      expect(crossSite.status).toBe(403);
      await settle();
      expect(fx.sink.countFor(cardEmail)).toBe(0);
      expect(await storage().codes.find('card_claim', victim.accountId)).toBeUndefined();
    });
  });

  describe('the operator\'s import', () => {
    test('bad rows are refused with their index and field, and not imported; good rows in the same request are', async () => {
      const good = { card_number: uniqueCardNumber(), name: 'Good Row', email: 'good@example.com', phone: null, balance: 5 };
      const duplicate = uniqueCardNumber();
      const bad: Array<[string, Record<string, unknown>]> = [
        ['card_number', { ...good, card_number: '1234567' }],
        ['card_number', { ...good, card_number: 'CARD-0001-0002' }],
        ['name', { ...good, card_number: uniqueCardNumber(), name: '   ' }],
        ['email', { ...good, card_number: uniqueCardNumber(), email: 'not an address' }],
        // A landline (fixed line in GB) cannot receive the code by SMS.
        ['phone', { ...good, card_number: uniqueCardNumber(), phone: '+44 20 7946 0000' }],
        ['phone', { ...good, card_number: uniqueCardNumber(), phone: 'call me' }],
        ['balance', { ...good, card_number: uniqueCardNumber(), balance: -1 }],
        ['balance', { ...good, card_number: uniqueCardNumber(), balance: 1.5 }],
        ['balance', { ...good, card_number: uniqueCardNumber(), balance: '100' }],
        ['balance', { ...good, card_number: uniqueCardNumber(), balance: 100_000_001 }],
        ['sneaky', { ...good, card_number: uniqueCardNumber(), sneaky: true }],
        ['claimed_by', { ...good, card_number: uniqueCardNumber(), claimed_by: 'attacker' }],
        ['card_number', { ...good, card_number: duplicate }],
        ['card_number', { ...good, card_number: duplicate }],
      ];
      const reply = await importMembers(fx.server, [good, ...bad.map(([, row]) => row), 'not a record']);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ received: bad.length + 2, inserted: 1, updated: 0, claimed: [], rejected: bad.length + 1 });
      expect(reply.body.errors!.map((error) => error.index)).toEqual(Array.from({ length: bad.length + 1 }, (_, i) => i + 1));
      bad.forEach(([field], i) => expect([i, Object.keys(reply.body.errors![i]!.fields)]).toEqual([i, [field]]));

      expect(await storage().importedMembers.find(good.card_number)).toMatchObject({ name: 'Good Row' });
      for (const [, row] of bad) {
        const number = String(row.card_number);
        if (/^\d{8,19}$/.test(number)) expect(await storage().importedMembers.find(number)).toBeUndefined();
      }
    });

    test.each([
      ['an object instead of an array', { card_number: '12345678', name: 'x', balance: 1 }],
      ['an empty array', []],
      ['1,001 rows', Array.from({ length: 1001 }, (_, i) => ({ card_number: `7${String(i).padStart(9, '0')}`, name: 'x', balance: 1 }))],
    ])('%s is a 400 and imports nothing', async (_name, body) => {
      const reply = await importMembers(fx.server, body);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('invalid_input');
      expect(await storage().importedMembers.find('7000000000')).toBeUndefined();
    });

    test('without an admin token, or with another content type: refused', async () => {
      const rows = JSON.stringify([{ card_number: uniqueCardNumber(), name: 'x', balance: 1 }]);
      const url = `${fx.server.url}/admin/imported-members`;
      expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rows })).status).toBe(401);
      const token = await fx.server.adminToken();
      expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: rows })).status).toBe(415);
    });
  });
});

describe.each(STORES)('claiming a card with a resend wait: the wait tells no card from another (%s)', (store) => {
  const fx = useMemberServer(store, { CODE_RESEND_COOLDOWN_SECONDS: '60' });

  test.each([
    ['an unknown card, then a card on file', true],
    ['a card on file, then an unknown card', false],
  ])('%s: the second is told to wait either way, and gets no code', async (_name, unknownFirst) => {
    const cardEmail = uniqueEmail('wait-card');
    const card = await importCard(fx.server, { email: cardEmail });
    const unknown = uniqueCardNumber();
    const { ua } = await signedInMember(fx, 'wait');
    const [first, second] = unknownFirst ? [unknown, card.card_number] : [card.card_number, unknown];

    expect(noticeOn(await submitCardNumber(ua, first))).toBe(SENT);
    const waited = await submitCardNumber(ua, second);
    expect(waited.url).toMatch(/\/account\/card\/verify\?notice=too_soon$/);
    expect(noticeOn(waited)).toBe(TOO_SOON);
    await settle();
    expect(fx.sink.countFor(cardEmail)).toBe(unknownFirst ? 0 : 1);
  });
});
