// Sign-up → emailed code → verified → sign-in, as a member does it over HTTP.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent, followLink } from '../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI, oidc } from '../support/oidc-client.ts';

describe.each(STORES)('registration happy path (%s)', (store) => {
  const fixture = useMemberServer(store);

  
  test('a new member signs up, verifies the emailed code and reaches the client without typing the password again', async () => {
    const email = uniqueEmail('happy');
    const ua = new UserAgent(fixture.server.url);
    const request = await authorizationRequest(fixture.config);
    const login = await openLoginPage(ua, request.url);
    expect(login.body).toMatch(/<label[^>]*for="[^"]+"[^>]*>\s*Email/);
    const register = await followLink(ua, login, '/register');
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    const done = await ua.submit(verify, '/verify', { code: await fixture.sink.waitForCode(email) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(fixture.config, done.url, request);
    // The email scope's claims ride in the ID token and in userinfo.
    expect(tokens.claims()!.email).toBe(email);
    expect((await oidc.fetchUserInfo(fixture.config, tokens.access_token, tokens.claims()!.sub)).email).toBe(email);
    // The code proved the mailbox; the password chosen with it proves nothing more: one class.
    expect(tokens.claims()!.acr).toBe('urn:loyalty:loa:1');
    expect(tokens.claims()!.amr).toEqual(['email']);
    const account = await fixture.server.container.storage.accounts.findByEmail(email);
    expect(account?.emailVerified).toBe(true);
    expect(account?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    // The password works for the next sign-in, in another browser.
    const other = new UserAgent(fixture.server.url);
    const next = await signIn(other, await openLoginPage(other, (await authorizationRequest(fixture.config)).url), email);
    expect(next.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('at a partner that asks for two factors, verifying goes to the sign-in page (password), then an emailed code: loa:2, no dead end', async () => {
    const email = uniqueEmail('happy-loa2');
    const ua = new UserAgent(fixture.server.url);
    const request = await authorizationRequest(fixture.config, { acr_values: 'urn:loyalty:loa:2' });
    const register = await followLink(ua, await openLoginPage(ua, request.url), '/register');
    const verify = await ua.submit(register, '/register', { email, password: PASSWORD });
    const code = await fixture.sink.waitForCode(email);
    const login = await ua.submit(verify, '/verify', { code });
    // Signing in by the sign-up code would leave mailbox + mailbox (one class) and nothing else to offer.
    expect(login.body).toContain('name="password"');
    await fixture.server.container.deliveries.drain();
    const before = fixture.sink.countFor(email);
    const mfa = await ua.submit(login, '/login', { email, password: PASSWORD });
    const codePage = mfa.body.includes('name="code"') ? mfa : await ua.submit(mfa, '/mfa/send');
    let done = await ua.submit(codePage, '/mfa', { code: await fixture.sink.waitForCode(email, { after: before }) });
    // After a step-up by code, the authenticator-app offer: "Not now".
    if (done.body.includes('/mfa/finish"')) done = await ua.submit(done, '/mfa/finish');
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(fixture.config, done.url, request);
    expect(tokens.claims()!.acr).toBe('urn:loyalty:loa:2');
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'email', 'mfa']));
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
    expect(ok.url.startsWith(REDIRECT_URI)).toBe(true);
  });
  test('the verification page shows the address as typed and "Change email" goes back with it, killing the old code', async () => {
    const typo = uniqueEmail('typo').replace('@example.com', '@exmaple.com');
    const email = uniqueEmail('fixed');
    const ua = new UserAgent(fixture.server.url);
    const request = await authorizationRequest(fixture.config);
    const register = await followLink(ua, await openLoginPage(ua, request.url), '/register');
    const verify = await ua.submit(register, '/register', { email: typo, password: PASSWORD });
    expect(verify.body).toContain(typo);
    expect(verify.body).toMatch(/<button type="submit"[^>]*>Change email<\/button>/);
    await fixture.sink.waitForCode(typo);
    const back = await ua.submit(verify, '/verify/change');
    expect(back.url).toMatch(/\/register$/);
    expect(back.body).toContain(`value="${typo}"`);
    expect(back.body).not.toMatch(/name="password"[^>]*value="[^"]/);
    // The code sent to the mistyped address no longer works for anyone.
    const abandoned = (await fixture.server.container.storage.accounts.findByEmail(typo))!;
    expect(await fixture.server.container.storage.codes.find('email_verification', abandoned.id)).toBeUndefined();
    const again = await ua.submit(back, '/register', { email, password: PASSWORD });
    expect(again.body).toContain(email);
    const done = await ua.submit(again, '/verify', { code: await fixture.sink.waitForCode(email) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fixture.config, done.url, request)).claims()!.email).toBe(email);
  });
});
