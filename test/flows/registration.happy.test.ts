// Sign-up → emailed code → verified → sign-in, as a member does it over HTTP.
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';

describe.each(STORES)('registration happy path (%s)', (store) => {
  let sink: SmtpSink;
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store, env: { SMTP_URL: sink.url } });
    config = await discover(server, await registerClient(server, { first_party: true }));
  });
  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('a new member signs up, verifies the emailed code, signs in and reaches the client', async () => {
    const email = uniqueEmail('happy');
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    const login = await openLoginPage(ua, request.url);
    expect(login.body).toMatch(/<label[^>]*for="[^"]+"[^>]*>\s*Email/);
    const again = await signUpAndVerify(ua, login, sink, email);
    expect(again.body).toContain(email); // pre-filled
    const done = await signIn(ua, again, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(config, done.url, request);
    expect(tokens.claims()!.email).toBeUndefined();
    expect((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).email).toBe(email);
    const account = await server.container.storage.accounts.findByEmail(email);
    expect(account?.emailVerified).toBe(true);
    expect(account?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  test('emails are case-insensitive and trimmed', async () => {
    const email = uniqueEmail('case');
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    await signUpAndVerify(ua, await openLoginPage(ua, request.url), sink, email);
    const ua2 = new UserAgent(server.url);
    const request2 = await authorizationRequest(config);
    const done = await signIn(ua2, await openLoginPage(ua2, request2.url), `  ${email.toUpperCase()} `, PASSWORD);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('a resend sends a new code and only the newest one works', async () => {
    const email = uniqueEmail('resend');
    const ua = new UserAgent(server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(config)).url);
    const register = await ua.follow(new URL(/href="([^"]*\/register)"/.exec(login.body)![1]!, login.url).href);
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    const first = await sink.waitForCode(email);
    const resent = await ua.submit(verify, '/verify/resend');
    expect(resent.url).toMatch(/\/verify$/);
    const second = await sink.waitForCode(email, { after: 1 });
    if (first !== second) {
      const stale = await ua.submit(resent, '/verify', { code: first });
      expect(stale.status).toBe(400);
    }
    const ok = await ua.submit(resent, '/verify', { code: second });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('name="password"');
  });
});
