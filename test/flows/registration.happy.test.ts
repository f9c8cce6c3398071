// Sign-up → emailed code → verified → sign-in, as a member does it over HTTP.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent, followLink } from '../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI, oidc } from '../support/oidc-client.ts';

describe.each(STORES)('registration happy path (%s)', (store) => {
  const fixture = useMemberServer(store);

  
  test('a new member signs up, verifies the emailed code, signs in and reaches the client', async () => {
    const email = uniqueEmail('happy');
    const ua = new UserAgent(fixture.server.url);
    const request = await authorizationRequest(fixture.config);
    const login = await openLoginPage(ua, request.url);
    expect(login.body).toMatch(/<label[^>]*for="[^"]+"[^>]*>\s*Email/);
    const again = await signUpAndVerify(ua, login, fixture.sink, email);
    expect(again.body).toContain(email); // pre-filled
    const done = await signIn(ua, again, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(fixture.config, done.url, request);
    // The email scope's claims ride in the ID token and in userinfo.
    expect(tokens.claims()!.email).toBe(email);
    expect((await oidc.fetchUserInfo(fixture.config, tokens.access_token, tokens.claims()!.sub)).email).toBe(email);
    const account = await fixture.server.container.storage.accounts.findByEmail(email);
    expect(account?.emailVerified).toBe(true);
    expect(account?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  test('emails are case-insensitive and trimmed', async () => {
    const email = uniqueEmail('case');
    const ua = new UserAgent(fixture.server.url);
    const request = await authorizationRequest(fixture.config);
    await signUpAndVerify(ua, await openLoginPage(ua, request.url), fixture.sink, email);
    const ua2 = new UserAgent(fixture.server.url);
    const request2 = await authorizationRequest(fixture.config);
    const done = await signIn(ua2, await openLoginPage(ua2, request2.url), `  ${email.toUpperCase()} `, PASSWORD);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('a resend sends a new code and only the newest one works', async () => {
    const email = uniqueEmail('resend');
    const ua = new UserAgent(fixture.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config)).url);
    const register = await followLink(ua, login, '/register');
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    const first = await fixture.sink.waitForCode(email);
    const resent = await ua.submit(verify, '/verify/resend');
    expect(resent.url).toMatch(/\/verify$/);
    const second = await fixture.sink.waitForCode(email, { after: 1 });
    if (first !== second) {
      const stale = await ua.submit(resent, '/verify', { code: first });
      expect(stale.status).toBe(400);
    }
    const ok = await ua.submit(resent, '/verify', { code: second });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('name="password"');
  });
});
