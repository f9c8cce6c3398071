// The operator's hook endpoint on loopback: records every call (headers, body), answers with what the test
// scripted per point (JSON, raw text, a status, or holding the answer until released), and verifies the
// Standard Webhooks signature as any receiver would.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookCall {
  point: string;
  headers: Record<string, string | undefined>;
  raw: string;
  body: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** What the hook answers: a JSON value, or raw text / a status / never (held until close). */
export type HookAnswer = { json: unknown; delayMs?: number } | { raw: string; status?: number } | { status: number } | { hold: true };

export interface HookServer {
  /** The URL for a point: http://127.0.0.1:port/<point>. */
  url(point: string): string;
  calls: HookCall[];
  answer(point: string, answer: HookAnswer): void;
  /** Waits for the n-th call at `point` (1-based). */
  waitForCall(point: string, n?: number): Promise<HookCall>;
  close(): Promise<void>;
}

/** Standard Webhooks verification: v1 HMAC-SHA256 over `${id}.${timestamp}.${body}` with the base64 key after whsec_. */
export function verifySignature(secret: string, call: Pick<HookCall, 'headers' | 'raw'>): boolean {
  const id = call.headers['webhook-id'];
  const timestamp = call.headers['webhook-timestamp'];
  const signatures = call.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${call.raw}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function startHookServer(): Promise<HookServer> {
  const calls: HookCall[] = [];
  const answers = new Map<string, HookAnswer>();
  const held = new Set<ServerResponse>();
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const point = (req.url ?? '/').slice(1);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]));
      calls.push({ point, headers, raw, body: JSON.parse(raw) as HookCall['body'] });
      for (const wake of waiters.splice(0)) wake();
      const answer = answers.get(point) ?? { json: { decision: 'allow' } };
      if ('hold' in answer) {
        held.add(res);
        return;
      }
      if ('json' in answer) {
        const send = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
        return;
      }
      if ('raw' in answer) return void res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(answer.raw);
      res.writeHead(answer.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (point) => `${base}/${point}`,
    calls,
    answer: (point, answer) => answers.set(point, answer),
    async waitForCall(point, n = 1) {
      for (;;) {
        const found = calls.filter((call) => call.point === point)[n - 1];
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
