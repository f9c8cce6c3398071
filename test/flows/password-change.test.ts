// A member changes their password from the account page: only after "Confirm it is you", only to a
// password the policy accepts, and the change signs the account out everywhere, is emailed and audited.
import { accountCsrf, canChange, confirmedMember, isSecurityPage, isSignInPage, noticeOn, openSecurityPage, passwordSession, signedInMember } from '../support/account.ts';
import { openLoginPage, PASSWORD, signIn, UserAgent } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const NEW_PASSWORD = 'a fresh passphrase for my points 7';

describe.each(STORES)('changing the password on the account page (%s)', (store) => {
  const fx = useMemberServer(store, {}, { publicHost: 'localhost' });
  const storage = () => fx.server.container.storage;

  /** Signs in at the partner client with `password`: true when the browser got back to the client. */
  async function signsIn(email: string, password: string): Promise<boolean> {
    const ua = new UserAgent(fx.server.url);
    const done = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), email, password);
    return done.url.startsWith(REDIRECT_URI);
  }

  test('after "Confirm it is you": the new password works, the old one not, every browser is signed out, the owner is told', async () => {
    const { ua, email, accountId, page } = await confirmedMember(fx, 'pw-change');
    const elsewhere = await passwordSession(fx, email);
    expect(page.body).toContain('href="/account/password"');
    const form = await ua.follow('/account/password');
    expect(form.status).toBe(200);
    expect(form.body).toContain('autocomplete="new-password"');
    const mails = fx.sink.countFor(email);

    const done = await ua.submit(form, '/account/password', { password: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your password has been changed');
    expect((await fx.sink.waitForMessage(email, { after: mails })).text).toContain('The password of your account was just changed');

    // Both browsers, this one included, must sign in again.
    expect(isSignInPage(await openSecurityPage(ua))).toBe(true);
    expect(isSignInPage(await openSecurityPage(elsewhere))).toBe(true);
    expect(await signsIn(email, PASSWORD)).toBe(false);
    expect(await signsIn(email, NEW_PASSWORD)).toBe(true);

    // The change freezes redemptions (its time is the credential change) and is in the audit log.
    const account = await storage().accounts.findById(accountId);
    expect(Date.now() - account!.credentialsChangedAt!.getTime()).toBeLessThan(60_000);
    const events = await fx.server.container.audit.list({ accountId, types: ['password.changed'], limit: 5 });
    expect(events.events).toEqual([expect.objectContaining({ type: 'password.changed', reason: 'changed', accountId })]);
  });

  test.each([
    ['too short', 'short7', 'Use at least 8 characters.'],
    ['too common', 'password123', 'This password is too common'],
    ['longer than 128 characters', 'x'.repeat(129), 'Use at most 128 characters.'],
    ['longer than the form field allows', 'y'.repeat(5000), 'Use at most 128 characters.'],
    ['empty', '', 'Enter your password.'],
  ])('a new password that is %s is refused with a plain message and nothing changes', async (_, password, message) => {
    const { ua, email, accountId } = await confirmedMember(fx, 'pw-bad');
    const before = await storage().accounts.findById(accountId);
    const mails = fx.sink.countFor(email);
    const refused = await ua.submit(await ua.follow('/account/password'), '/account/password', { password });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(message);
    expect(refused.body).toContain('aria-invalid="true"');
    expect(await storage().accounts.findById(accountId)).toEqual(before);
    expect(fx.sink.countFor(email)).toBe(mails);
    expect(canChange(await openSecurityPage(ua))).toBe(true); // still signed in
  });

  test('a form without the password field, or with it twice, changes nothing', async () => {
    const { ua, accountId, page } = await confirmedMember(fx, 'pw-shape');
    const before = await storage().accounts.findById(accountId);
    const csrf = accountCsrf(page);
    expect((await ua.follow('/account/password', { form: { csrf } })).status).toBe(400);
    const twice = await fetch(ua.resolve('/account/password'), {
      method: 'POST',
      headers: { cookie: ua.cookieHeader(), origin: new URL(fx.server.url).origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([['csrf', csrf], ['password', NEW_PASSWORD], ['password', 'another passphrase 99']]).toString(),
      redirect: 'manual',
    });
    expect(twice.status).toBe(400);
    expect(await storage().accounts.findById(accountId)).toEqual(before);
  });

  test('without a recent strong sign-in the form is not shown and a post changes nothing', async () => {
    const { ua, email, accountId } = await signedInMember(fx, 'pw-weak');
    const page = await openSecurityPage(ua);
    expect(isSecurityPage(page)).toBe(true);
    expect(page.body).not.toContain('href="/account/password"');
    const asked = await ua.follow('/account/password');
    expect(asked.url).toContain('/account/security');
    expect(noticeOn(asked)).toContain('Confirm it is you');
    const before = await storage().accounts.findById(accountId);
    const posted = await ua.follow('/account/password', { form: { csrf: accountCsrf(page), password: NEW_PASSWORD } });
    expect(posted.url).toContain('/account/security');
    expect(await storage().accounts.findById(accountId)).toEqual(before);
    expect(await signsIn(email, PASSWORD)).toBe(true);
  });

  test('a post without the member\'s CSRF token, or from a browser with no session, changes nothing', async () => {
    const { ua, email, accountId, page } = await confirmedMember(fx, 'pw-csrf');
    const before = await storage().accounts.findById(accountId);
    expect((await ua.follow('/account/password', { form: { password: NEW_PASSWORD } })).status).toBe(403);
    const stranger = new UserAgent(fx.server.url);
    expect(isSignInPage(await stranger.follow('/account/password', { form: { csrf: accountCsrf(page), password: NEW_PASSWORD } }))).toBe(true);
    expect(await storage().accounts.findById(accountId)).toEqual(before);
    expect(await signsIn(email, PASSWORD)).toBe(true);
  });
});
