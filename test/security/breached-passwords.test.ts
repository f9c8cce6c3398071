// Threat: passwords known from breaches elsewhere. With PWNED_PASSWORDS_URL a k-anonymity range service is
// asked (only 5 hex characters of the SHA-1 leave the server); a slow or failing service fails open.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createRangeBreachedPasswords } from '../../server/passwords/range-breached-passwords.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { registerClient, discover } from '../support/oidc-client.ts';
import { browserFrom, loginPage, uniqueEmail } from '../support/attack.ts';
import { confirmedMember } from '../support/account.ts';
import { followLink } from '../support/member.ts';

const BREACHED = 'my favourite breached passphrase';
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex').toUpperCase();

describe('breached passwords by a k-anonymity range service', () => {
  let range: Server;
  let rangeUrl: string;
  const asked: string[] = [];
  let mode: 'ok' | 'slow' | 'error' = 'ok';

  beforeAll(async () => {
    range = createServer((req, res) => {
      const prefix = (req.url ?? '').split('/').pop() ?? '';
      asked.push(prefix);
      if (mode === 'error') return res.writeHead(503).end();
      if (mode === 'slow') return setTimeout(() => res.end(''), 3000);
      const suffix = sha1(BREACHED).slice(5);
      res.end(prefix === sha1(BREACHED).slice(0, 5) ? `0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n${suffix}:42\r\nFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0\r\n` : '0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n');
    });
    await new Promise<void>((resolve) => range.listen(0, '127.0.0.1', resolve));
    rangeUrl = `http://127.0.0.1:${(range.address() as AddressInfo).port}/range/`;
  });
  afterAll(async () => {
    range.closeAllConnections();
    await new Promise((resolve) => range.close(resolve));
  });

  test('only the first five hex characters of the hash are sent; a listed suffix is breached', async () => {
    const checker = createRangeBreachedPasswords(rangeUrl, pino({ level: 'silent' }));
    expect(await checker.isBreached(BREACHED)).toBe(true);
    expect(asked.at(-1)).toBe(sha1(BREACHED).slice(0, 5));
    expect(await checker.isBreached('a password nobody leaked 9f8e7d')).toBe(false);
  });

  test('an unreachable, failing or slow service fails open (the shipped list still applies)', async () => {
    mode = 'error';
    expect(await createRangeBreachedPasswords(rangeUrl, pino({ level: 'silent' })).isBreached(BREACHED)).toBe(false);
    mode = 'slow';
    expect(await createRangeBreachedPasswords(rangeUrl, pino({ level: 'silent' }), 200).isBreached(BREACHED)).toBe(false);
    expect(await createRangeBreachedPasswords('http://127.0.0.1:9/range/', pino({ level: 'silent' })).isBreached(BREACHED)).toBe(false);
    mode = 'ok';
  });

  describe('on the hosted pages', () => {
    let server: TestServer;
    let sink: SmtpSink;
    let fx: Parameters<typeof loginPage>[0];
    beforeAll(async () => {
      sink = await startSmtpSink();
      server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: sink.url, PWNED_PASSWORDS_URL: rangeUrl } });
      const client = await registerClient(server, { first_party: true });
      fx = { server, sink, config: await discover(server, client) };
    });
    afterAll(async () => {
      await server.close();
      await sink.close();
    });

    test('a breached password is refused with a plain message and no account is made', async () => {
      const ua = browserFrom(fx);
      const email = uniqueEmail('breached');
      const page = await ua.submit(await followLink(ua, await loginPage(fx, ua), '/register'), '/register', { email, password: BREACHED });
      expect(page.status).toBe(400);
      expect(page.body).toContain('appeared in a data breach');
      expect(await server.container.storage.accounts.findByEmail(email)).toBeUndefined();
    });

    test('a breached password is refused when a member changes theirs on the account page, and the old one stays', async () => {
      const { ua, accountId } = await confirmedMember(fx, 'breached-change');
      const before = await server.container.storage.accounts.findById(accountId);
      const page = await ua.submit(await ua.follow('/account/password'), '/account/password', { password: BREACHED });
      expect(page.status).toBe(400);
      expect(page.body).toContain('appeared in a data breach');
      expect(await server.container.storage.accounts.findById(accountId)).toEqual(before);
    });
  });
});
