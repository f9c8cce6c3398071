// Forgot password → emailed code → new password; every session of the account ends.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent, followLink } from '../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI, oidc } from '../support/oidc-client.ts';

describe.each(STORES)('password recovery (%s)', (store) => {
  const fixture = useMemberServer(store);

  
  test('reset with the emailed code; old password, old sessions and refresh tokens stop working', async () => {
    const email = uniqueEmail('reset');
    const device = new UserAgent(fixture.server.url);
    const firstRequest = await authorizationRequest(fixture.config, { scope: 'openid email offline_access', prompt: 'consent' });
    const firstLogin = await signUpAndVerify(device, await openLoginPage(device, firstRequest.url), fixture.sink, email);
    const signedIn = await signIn(device, firstLogin, email);
    const oldTokens = await exchange(fixture.config, signedIn.url, firstRequest);

    const ua = new UserAgent(fixture.server.url);
    const resetRequest = await authorizationRequest(fixture.config);
    const login = await openLoginPage(ua, resetRequest.url);
    const forgot = await followLink(ua, login, '/forgot');
    const before = fixture.sink.countFor(email);
    const reset = await ua.submit(forgot, '/forgot', { email });
    expect(reset.url).toMatch(/\/reset$/);
    const code = await fixture.sink.waitForCode(email, { after: before });
    const newPassword = 'a brand new passphrase 42';
    // Signed in by the reset itself: no retyping of the new password, no second emailed code.
    const back = await ua.submit(reset, '/reset', { code, password: newPassword });
    expect(back.url.startsWith(REDIRECT_URI)).toBe(true);
    const resetTokens = await exchange(fixture.config, back.url, resetRequest);
    // What was proven is the mailbox (the new password was set by it): one class, never two.
    expect(resetTokens.claims()!.acr).toBe('urn:loyalty:loa:1');
    expect(resetTokens.claims()!.amr).toEqual(['email']);
    await fixture.server.container.deliveries.drain();
    await fixture.sink.waitForMessage(email, { after: before + 1 });
    expect(fixture.sink.countFor(email)).toBe(before + 2); // the code and the "password changed" notice: no second code

    // Old password refused, new one accepted.
    const other = new UserAgent(fixture.server.url);
    const otherLogin = await openLoginPage(other, (await authorizationRequest(fixture.config)).url);
    expect((await other.submit(otherLogin, '/login', { email, password: PASSWORD })).status).toBe(400);
    const request = await authorizationRequest(fixture.config);
    const ok = await signIn(other, await openLoginPage(other, request.url), email, newPassword);
    expect(ok.url.startsWith(REDIRECT_URI)).toBe(true);

    // The other device's session and refresh token are gone.
    const silent = await device.follow((await authorizationRequest(fixture.config, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
    await expect(oidc.refreshTokenGrant(fixture.config, oldTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // A notice went to the owner.
    const notice = await fixture.sink.waitForMessage(email, { after: before + 1 });
    expect(notice.text).toMatch(/password .*was just changed/);
    // And the change is in the audit log, for the member's history and the operator.
    const account = (await fixture.server.container.storage.accounts.findByEmail(email))!;
    const events = await fixture.server.container.audit.list({ accountId: account.id, types: ['password.changed'], limit: 5 });
    expect(events.events).toEqual([expect.objectContaining({ type: 'password.changed', reason: 'reset', accountId: account.id })]);
  });

  test('asking for an unknown email looks the same and sends nothing', async () => {
    const ua = new UserAgent(fixture.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fixture.config)).url);
    const forgot = await followLink(ua, login, '/forgot');
    const email = uniqueEmail('ghost');
    const reset = await ua.submit(forgot, '/forgot', { email });
    expect(reset.url).toMatch(/\/reset$/);
    const result = await ua.submit(reset, '/reset', { code: '123456', password: 'a brand new passphrase 42' });
    expect(result.status).toBe(400);
    expect(result.body).toContain('not right');
    expect(fixture.sink.countFor(email)).toBe(0);
  });

  test('a weak new password or a wrong code is refused and nothing changes', async () => {
    const email = uniqueEmail('reset-sad');
    const ua = new UserAgent(fixture.server.url);
    const login = await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fixture.config)).url), fixture.sink, email);
    const forgot = await followLink(ua, login, '/forgot');
    const before = fixture.sink.countFor(email);
    const reset = await ua.submit(forgot, '/forgot', { email });
    const code = await fixture.sink.waitForCode(email, { after: before });
    const weak = await ua.submit(reset, '/reset', { code, password: 'password' });
    expect(weak.status).toBe(400);
    const wrong = await ua.submit(reset, '/reset', { code: code === '999999' ? '999998' : '999999', password: 'a brand new passphrase 42' });
    expect(wrong.status).toBe(400);
    expect(await fixture.server.container.accounts.authenticate(email, PASSWORD)).toBeDefined();
  });
});
