// Verification codes cannot be re-sent faster than the cooldown (mail bombing, code farming).
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { followLink, openLoginPage, PASSWORD, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';

describe('resend cooldown', () => {
  let sink: SmtpSink;
  let server: TestServer;

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: sink.url, CODE_RESEND_COOLDOWN_SECONDS: '60' } });
  });
  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('a resend inside the cooldown sends nothing and says to wait', async () => {
    const config = await discover(server, await registerClient(server, { first_party: true }));
    const ua = new UserAgent(server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(config)).url);
    const register = await followLink(ua, login, '/register');
    const email = uniqueEmail('cooldown');
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    await sink.waitForCode(email);
    const resent = await ua.submit(verify, '/verify/resend');
    expect(resent.body).toContain('Wait a little');
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.countFor(email)).toBe(1);
  });
});
