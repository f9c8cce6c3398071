// The member's account-security page (/account): reached by single sign-on, changes unlocked by "Confirm
// it is you", then the authenticator app, recovery codes, passkeys and "Sign out everywhere else".
import {
  addAppOnAccount, addPasskeyOnAccount, canChange, confirmedMember, confirmItsYou, confirmItsYouWithApp, isSecurityPage, isSignInPage, noticeOn,
  openSecurityPage, passwordSession, signedInMember,
} from '../support/account.ts';
import { isStepUpPage, openLoginPage, recoveryCodesOn, signIn, UserAgent } from '../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../support/oidc-client.ts';
import { finishAtClient, passkeySignIn, SoftAuthenticator, signedIn } from '../support/soft-authenticator.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { totpCode } from '../support/totp.ts';

const LOA2 = 'urn:loyalty:loa:2';
const PHR = 'urn:loyalty:loa:phr';
/** Each time step is accepted once: the step-up after the enrolment uses the next one (still in the window). */
const nextStep = (key: string) => totpCode(key, Date.now() + 30_000);

describe.each(STORES)('account security page (%s)', (store) => {
  const fx = useMemberServer(store, {}, { publicHost: 'localhost' });

  /** A new browser signs in at the partner client asking for loa:2: the page after the password. */
  async function stepUpAtClient(email: string) {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    return { ua, request, page: await signIn(ua, await openLoginPage(ua, request.url), email) };
  }

  // Every mail to `email` after the first `after`, once what is queued went out (mail leaves after the answer,
  // so a notice of the step before may land after the caller counted).
  const mailTo = async (email: string, after: number) => {
    await fx.sink.waitForMessage(email, { after });
    await fx.server.container.deliveries.drain();
    return fx.sink.messages.filter((m) => m.to.includes(email.toLowerCase())).slice(after).map((m) => m.text).join('\n');
  };

  test('a signed-in member lands on the page by single sign-on but cannot change anything until "Confirm it is you"', async () => {
    const { ua, email } = await signedInMember(fx, 'acct-sso');
    const mails = fx.sink.countFor(email);
    const page = await openSecurityPage(ua);
    expect(isSecurityPage(page)).toBe(true); // no sign-in form on the way
    expect(page.body).toContain(`Signed in as ${email}`);
    expect(page.body).toContain('Confirm it is you');
    expect(canChange(page)).toBe(false);
    expect(page.body).not.toContain('action="/account/app"');
    expect(page.body).not.toContain('data-passkey="create"');
    expect(fx.sink.countFor(email)).toBe(mails);

    const confirmed = await confirmItsYou(ua, fx.sink, email);
    expect(confirmed.url).toMatch(/\/account\/security$/);
    expect(canChange(confirmed)).toBe(true);
    expect(confirmed.body).toContain('action="/account/app"');
    expect(confirmed.body).toContain('data-passkey="create"');
  });

  test('add an authenticator app: QR code and key, a first code, ten recovery codes once, the owner told; then a client asking loa:2 gets the app', async () => {
    const { ua, email, page } = await confirmedMember(fx, 'acct-app');
    const mails = fx.sink.countFor(email);
    const { enrolPage, key, codesPage, recoveryCodes } = await addAppOnAccount(ua, page);
    expect(enrolPage.body).toMatch(/<figure class="qr"[^>]*><svg/);
    expect(key.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolPage.body).toContain('href="/account/security"'); // cancel goes back, no "Not now" of the sign-in flow
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(codesPage.body).toContain('I have saved them');
    expect(codesPage.headers.get('cache-control')).toBe('no-store');
    expect(await mailTo(email, mails)).toContain('An authenticator app was added to your account');

    const after = await openSecurityPage(ua);
    expect(after.body).toContain('On since');
    expect(after.body).toContain('Recovery codes left: 10');
    for (const code of recoveryCodes) expect(after.body).not.toContain(code); // shown once, never again

    const { ua: other, request, page: stepUp } = await stepUpAtClient(email);
    expect(stepUp.body).toContain('/mfa/app"');
    expect(stepUp.body).toContain('Code from your app');
    const done = await other.submit(stepUp, '/mfa/app', { code: nextStep(key) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
  });

  test('make new recovery codes: the old ones stop working at the step-up, the new ones work', async () => {
    const { ua, email, page } = await confirmedMember(fx, 'acct-codes');
    const { key, recoveryCodes: old } = await addAppOnAccount(ua, page);
    // New recovery codes are device-class credentials: the app itself must confirm it is the member.
    const confirmed = await confirmItsYouWithApp(ua, email, nextStep(key));
    const mails = fx.sink.countFor(email);
    const fresh = recoveryCodesOn(await ua.submit(confirmed, '/account/recovery-codes'));
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    expect(await mailTo(email, mails)).toContain('New recovery codes were made');

    const { ua: other, request, page: stepUp } = await stepUpAtClient(email);
    const recoveryPage = await other.submit(stepUp, '/mfa/method', { method: 'recovery' });
    const refused = await other.submit(recoveryPage, '/mfa/recovery', { code: old[0]! });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('/mfa/recovery"');
    const done = await other.submit(refused, '/mfa/recovery', { code: fresh[0]! });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
  });

  test('remove the app: the page says so and suggests signing out elsewhere, the owner is told, and the step-up falls back to an emailed code', async () => {
    const { ua, email, page } = await confirmedMember(fx, 'acct-app-remove');
    const { key } = await addAppOnAccount(ua, page);
    // Removing the app needs a sign-in at least as strong as it: confirmed with the app itself.
    const confirmed = await confirmItsYouWithApp(ua, email, nextStep(key));
    const mails = fx.sink.countFor(email);
    const removed = await ua.submit(confirmed, '/account/app/remove');
    expect(isSecurityPage(removed)).toBe(true);
    expect(noticeOn(removed)).toBe('Authenticator app removed. Its recovery codes no longer work.');
    expect(removed.body).toContain('Off. An authenticator app');
    expect(removed.body).toContain('also sign out everywhere else');
    expect(await mailTo(email, mails)).toContain('The authenticator app and its recovery codes were removed');

    const { page: stepUp } = await stepUpAtClient(email);
    expect(isStepUpPage(stepUp)).toBe(true);
    expect(stepUp.body).not.toContain('/mfa/app"');
  });

  test('add a passkey, rename it, sign in with it, remove it', async () => {
    const { ua, email, accountId, page } = await confirmedMember(fx, 'acct-passkey');
    const authenticator = new SoftAuthenticator({ origin: fx.server.url });
    const mails = fx.sink.countFor(email);
    const reply = await addPasskeyOnAccount(ua, page, authenticator);
    expect(reply).toEqual({ status: 200, body: { location: '/account/security?notice=passkey_added' } });
    expect(await mailTo(email, mails)).toContain('A passkey was just added to your account');
    const added = await ua.follow(reply.body.location!);
    expect(noticeOn(added)).toBe('Passkey added.');
    expect(added.body).toContain('value="Passkey on this device"');
    const id = authenticator.credentials[0]!.id.toString('base64url');

    const renamed = await ua.submit(added, `/account/passkeys/${id}/rename`, { name: '  Work laptop  ' });
    expect(noticeOn(renamed)).toBe('Passkey renamed.');
    expect(renamed.body).toContain('value="Work laptop"');
    expect(renamed.body).toContain('Remove &#34;Work laptop&#34;');

    const { at, reply: signInReply } = await passkeySignIn(fx, authenticator);
    expect(await finishAtClient(fx, at, signInReply)).toMatchObject({ acr: PHR, sub: accountId });
    expect((await openSecurityPage(ua)).body).toMatch(/last used [A-Z][a-z]{2} \d{1,2}, \d{4}/);

    // Removing it needs a sign-in at least as strong as a passkey: the browser that just used it.
    const removed = await at.ua.submit(await openSecurityPage(at.ua), `/account/passkeys/${id}/remove`);
    expect(noticeOn(removed)).toBe('Passkey removed.');
    expect(removed.body).not.toContain('Work laptop');
    expect(removed.body).toContain('You have no passkeys yet');
    expect(await mailTo(email, mails + 1)).toContain('The passkey "Work laptop" was removed');
    const { reply: refused } = await passkeySignIn(fx, authenticator);
    expect(refused).toMatchObject({ status: 400, body: { error: 'passkey.unknown' } });
  });

  test('"Sign out everywhere else" ends the session of another browser and keeps this one', async () => {
    const { ua, email } = await signedInMember(fx, 'acct-end-others');
    const laptop = await passwordSession(fx, email);
    expect(isSecurityPage(await openSecurityPage(laptop))).toBe(true);

    const ended = await ua.submit(await openSecurityPage(ua), '/account/sessions/end-others');
    expect(isSecurityPage(ended)).toBe(true);
    expect(noticeOn(ended)).toBe('You are now signed out everywhere else.');

    expect(isSignInPage(await openSecurityPage(laptop))).toBe(true);
    expect(isSignInPage(await laptop.follow((await authorizationRequest(fx.config)).url))).toBe(true);
    expect(isSecurityPage(await openSecurityPage(ua))).toBe(true);
    expect(await signedIn(fx, ua)).toBe(true);
  });

  test('a signed-out browser is sent to the hosted sign-in page and comes back to the security page after signing in', async () => {
    const { email } = await signedInMember(fx, 'acct-signed-out');
    const ua = new UserAgent(fx.server.url);
    const login = await openSecurityPage(ua);
    expect(isSignInPage(login)).toBe(true);
    // Named as the program in the page's language, not by the console client's English client_name.
    expect(login.body).toContain('Sign in to continue to Loyalty account.');
    const back = await signIn(ua, login, email);
    expect(isSecurityPage(back)).toBe(true);
    expect(back.url).toMatch(/\/account\/security$/);
    expect(canChange(back)).toBe(false); // a password alone: changes still need "Confirm it is you"
  });
});
