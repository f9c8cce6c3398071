// Logs must never carry passwords, one-time codes, client secrets, tokens or cookies, even at trace level.
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, registerClient } from '../support/oidc-client.ts';

describe('log hygiene', () => {
  let sink: SmtpSink;
  let server: TestServer;
  const lines: string[] = [];

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: sink.url }, logDestination: { write: (line) => lines.push(line) } });
  });
  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('a full sign-up, sign-in and token exchange logs requests but none of their secrets', async () => {
    const client = await registerClient(server, { first_party: true });
    const config = await discover(server, client);
    const email = uniqueEmail('logs');
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent', login_hint: email });
    const login = await signUpAndVerify(ua, await openLoginPage(ua, request.url), sink, email);
    const code = /^(\d{6})\r?$/m.exec(sink.messages.at(-1)!.text)![1]!;
    const done = await signIn(ua, login, email);
    const tokens = await exchange(config, done.url, request);
    // A failed sign-in with a distinctive wrong password too.
    const again = await openLoginPage(new UserAgent(server.url), (await authorizationRequest(config)).url);
    await new UserAgent(server.url).submit(again, '/login', { email, password: 'wrong-password-marker-123' });

    const log = lines.join('');
    expect(log).toContain('"msg":"request"');
    for (const secret of [PASSWORD, 'wrong-password-marker-123', code, client.clientSecret!, tokens.access_token, tokens.refresh_token!, new URL(done.url).searchParams.get('code')!, email]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/_session=|_interaction=/);
  });

  test('an unlock link is logged without its token, which is as good as the link', async () => {
    const token = 'unlock-token-marker-0123456789abcdef';
    const response = await fetch(`${server.url}/unlock/${token}?x=1`);
    await response.text();
    const log = lines.join('');
    expect(log).toContain('"path":"/unlock/[redacted]"');
    expect(log).not.toContain(token);
  });
});
