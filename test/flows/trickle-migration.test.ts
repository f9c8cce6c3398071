// Trickle migration (LEGACY_VERIFY_URL): a password sign-in with an email unknown here asks the old system, in a
// signed request, through a local legacy endpoint this test runs. A recognised member is created (profile from the
// answer, password as argon2id) and signed in; a refusal, a timeout, a 5xx, bad JSON or an answer off-contract all
// answer exactly like a wrong password; a known email never calls out; the attempts count in the sign-in limits.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attempt, browserFrom, hasChallenge, member } from '../support/attack.ts';
import { useMemberServer } from '../support/suite.ts';
import { REDIRECT_URI } from '../support/oidc-client.ts';
import { STORES } from '../support/test-server.ts';

const OLD_PASSWORD = 'the password from the old site';
const SECRET = randomBytes(24).toString('hex');
const LIMIT = 10;
const WRONG_PASSWORD_TEXT = 'The email or password is incorrect, or the email has not been verified yet.';

interface Call {
  email: string;
  password: string;
  signed: boolean;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => resolve(body));
  });
}

/** Standard Webhooks verification, as the old system would do it with the shared secret. */
function signedCorrectly(request: IncomingMessage, body: string): boolean {
  const id = String(request.headers['webhook-id']);
  const timestamp = String(request.headers['webhook-timestamp']);
  const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(`${id}.${timestamp}.${body}`).digest('base64');
  return String(request.headers['webhook-signature']).split(' ').includes(`v1,${expected}`) && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
}

describe.each(STORES)('trickle migration from the legacy system (%s)', (store) => {
  const calls: Call[] = [];
  let legacy: Server;
  const env: Record<string, string> = { LEGACY_VERIFY_SECRET: SECRET, LEGACY_VERIFY_TIMEOUT_MS: '300', TRUST_PROXY: 'true', SIGN_IN_ACCOUNT_FAILURES_PER_HOUR: String(LIMIT) };

  // Registered before the member server's own beforeAll, which reads `env` when it boots the server.
  beforeAll(async () => {
    legacy = createServer(async (request, response) => {
      const body = await readBody(request);
      const { email, password } = JSON.parse(body) as { email: string; password: string };
      calls.push({ email, password, signed: signedCorrectly(request, body) });
      const kind = email.split('.')[0];
      const answer = (status: number, text: string) => response.writeHead(status, { 'content-type': 'application/json' }).end(text);
      if (kind === 'slow') {
        setTimeout(() => !response.destroyed && answer(200, JSON.stringify({ valid: true, email_verified: true })), 3000);
      } else if (kind === 'error') answer(503, '{"error":"down"}');
      else if (kind === 'badjson') answer(200, '{"valid": tru');
      else if (kind === 'offcontract') answer(200, JSON.stringify({ valid: 'yes', email_verified: true }));
      else if (kind === 'member' && password === OLD_PASSWORD && signedCorrectly(request, body)) {
        answer(200, JSON.stringify({ valid: true, email_verified: true, given_name: 'Lena', family_name: 'Legacy', locale: 'fr' }));
      } else answer(200, JSON.stringify({ valid: false }));
    });
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
    env.LEGACY_VERIFY_URL = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}/verify`;
  });
  const fx = useMemberServer(store, env);

  afterAll(async () => {
    legacy.closeAllConnections();
    await new Promise((resolve) => legacy.close(resolve));
  });

  let ip = 0;
  const nextBrowser = () => browserFrom(fx, `198.51.100.${(ip += 1)}`);
  const callsFor = (email: string) => calls.filter((call) => call.email === email).length;
  const tag = `${store}.${process.pid}`;

  test('a member the old system recognises is created from its answer, signed in, and never asked about again', async () => {
    const email = `member.ok.${tag}@example.com`;
    const page = await attempt(fx, nextBrowser(), email, OLD_PASSWORD);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(calls.filter((call) => call.email === email)).toEqual([{ email, password: OLD_PASSWORD, signed: true }]);
    const { accounts, profiles, loyalty } = fx.server.container.storage;
    const account = (await accounts.findByEmail(email))!;
    expect(account.emailVerified).toBe(true);
    expect(account.passwordHash).toMatch(/^\$argon2id\$/);
    const { fields } = await profiles.find(account.id);
    expect([fields.given_name?.value, fields.family_name?.value, fields.locale?.value]).toEqual(['Lena', 'Legacy', 'fr']);
    expect(await loyalty.findMember(account.id)).toBeDefined();
    // Known now: the password is ours, and the old system is not asked again, right or wrong.
    expect((await attempt(fx, nextBrowser(), email, OLD_PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await attempt(fx, nextBrowser(), email, 'not it')).status).toBe(400);
    expect(callsFor(email)).toBe(1);
  });

  test('a member known here never causes a callout, whatever the password', async () => {
    const { email } = await member(fx, 'member.known', '198.51.100.200');
    const before = calls.length;
    expect((await attempt(fx, nextBrowser(), email, 'a wrong password')).status).toBe(400);
    expect(calls.length).toBe(before);
  });

  test.each([
    ['a refusal', 'member.refused', OLD_PASSWORD.toUpperCase()],
    ['a timeout', 'slow', OLD_PASSWORD],
    ['a 5xx', 'error', OLD_PASSWORD],
    ['bad JSON', 'badjson', OLD_PASSWORD],
    ['an answer off its contract', 'offcontract', OLD_PASSWORD],
  ])('%s answers exactly like a wrong password, and creates nobody', async (_label, prefix, password) => {
    const email = `${prefix}.${tag}@example.com`;
    const known = await member(fx, 'member.compare', '198.51.100.201');
    const wrong = await attempt(fx, nextBrowser(), known.email, 'a wrong password');
    const page = await attempt(fx, nextBrowser(), email, password);
    expect(callsFor(email)).toBe(1);
    expect(page.status).toBe(wrong.status);
    expect(page.body).toContain(WRONG_PASSWORD_TEXT);
    expect(wrong.body).toContain(WRONG_PASSWORD_TEXT);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });

  test('attempts on an unknown email count in the sign-in limits: past them the old system is not even asked', async () => {
    const email = `member.limited.${tag}@example.com`;
    for (let i = 0; i < LIMIT; i += 1) expect((await attempt(fx, nextBrowser(), email, `guess ${i}`)).status).toBe(400);
    expect(callsFor(email)).toBe(LIMIT);
    const blocked = await attempt(fx, nextBrowser(), email, OLD_PASSWORD);
    expect(blocked.status).toBe(403);
    expect(hasChallenge(blocked)).toBe(true);
    expect(callsFor(email)).toBe(LIMIT);
  });
});
