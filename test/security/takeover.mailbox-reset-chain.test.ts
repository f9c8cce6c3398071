// Threat: the mailbox alone reaching two factors through a password reset. Forgot password → the emailed
// code → a new password → sign in with it (pwd) → step up by an emailed code would be "password + mailbox",
// but the password came through the same inbox: it proves the mailbox, not knowledge. Until the member
// proves another class (or 30 days pass) that sign-in stays at loa:1, cannot step up by email (offered or
// forged), is offered no passkey and cannot add an authenticator app.
import { MAILBOX_PASSWORD_DAYS } from '../../server/domain/accounts/mailbox-password.ts';
import { accountCsrf, isSecurityPage, noticeOn, openSecurityPage } from '../support/account.ts';
import { followLink, openLoginPage, PASSWORD, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { memberWithPhone, sendStepUpSms } from '../support/phone.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const LOA1 = 'urn:loyalty:loa:1';
const LOA2 = 'urn:loyalty:loa:2';
const NEW_PASSWORD = 'the attacker chose this one 77';
const RESET_NOTICE = 'You reset your password by email recently';
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(STORES)('a password reset by email proves the mailbox only (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;

  beforeAll(async () => {
    app = await discover(fx.server, await registerClient(fx.server, { first_party: true, scope: 'openid email' }));
  });

  const accounts = () => fx.server.container.storage.accounts;

  async function newMember(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), fx.sink, email);
    return { email, accountId: (await accounts().findByEmail(email))!.id };
  }

  /**
   * Forgot password → the emailed code → NEW_PASSWORD, in a new browser: all the mailbox's reader needs.
   * The reset signs that browser in as the mailbox (loa:1, amr email); returned is another tab of the same
   * browser without that session, where the password the inbox set is then tried.
   */
  async function resetByEmail(email: string): Promise<UserAgent> {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(app);
    const forgot = await followLink(ua, await openLoginPage(ua, request.url), '/forgot');
    const before = fx.sink.countFor(email);
    const reset = await ua.submit(forgot, '/forgot', { email });
    const tab = ua.clone();
    const back = await ua.submit(reset, '/reset', { code: await fx.sink.waitForCode(email, { after: before }), password: NEW_PASSWORD });
    expect(back.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, back.url, request)).claims()).toMatchObject({ acr: LOA1, amr: ['email'] });
    // The "password changed" notice goes out after the answer: let it land before counting mail.
    await fx.server.container.deliveries.drain();
    return tab;
  }

  /** POSTs a step-up form by hand, as a forged page would: the server decides, not the form. */
  function forge(ua: UserAgent, page: Page, path: string, fields: Record<string, string>): Promise<Page> {
    const uid = /\/interaction\/([^/"?#]+)/.exec(page.url)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return ua.follow(`/interaction/${uid}${path}`, { form: { csrf, ...fields } });
  }

  /** A forged "send me an email code" and a forged email code: neither mails anything nor passes. */
  async function expectEmailRefused(ua: UserAgent, page: Page, email: string) {
    const mails = fx.sink.countFor(email);
    await forge(ua, page, '/mfa/method', { method: 'email' });
    await forge(ua, page, '/mfa/send', { channel: 'email' });
    const guessed = await forge(ua, page, '/mfa', { channel: 'email', code: '123456' });
    expect(guessed.status).toBe(400);
    expect(guessed.url.startsWith(REDIRECT_URI)).toBe(false);
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(email)).toBe(mails);
  }

  test('the chain from the mailbox alone ends at loa:1: no emailed step-up, no passkey offer, no app added', async () => {
    const { email, accountId } = await newMember('chain');
    const attacker = await resetByEmail(email);
    expect((await accounts().findById(accountId))?.passwordFromMailboxAt).toBeInstanceOf(Date);

    // Sign in with the new password, asking for two factors: the step-up page says why email is no way.
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const stepUp = await signIn(attacker, await openLoginPage(attacker, request.url), email, NEW_PASSWORD);
    expect(stepUp.status).toBe(200);
    expect(stepUp.url).toContain('/interaction/');
    expect(stepUp.body).toContain(RESET_NOTICE);
    expect(stepUp.body).not.toContain('/mfa/send"');
    await expectEmailRefused(attacker, stepUp, email);

    // Asking for one factor, the sign-in is what it is: loa:1 with amr pwd (nothing invented in the amr).
    const plain = await authorizationRequest(app);
    const done = await attacker.follow(plain.url);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, done.url, plain)).claims()).toMatchObject({ acr: LOA1, amr: ['pwd'] });

    // The account page explains instead of a "Confirm it is you" that could only end on the same dead end,
    // and adding an app is refused.
    const security = await openSecurityPage(attacker);
    expect(isSecurityPage(security)).toBe(true);
    expect(security.body).toContain(RESET_NOTICE);
    expect(security.body).not.toContain('/account/sign-in?reauth=1');
    const added = await attacker.follow('/account/app', { form: { csrf: accountCsrf(security) } });
    expect(noticeOn(added)).toBe('Confirm it is you first: that change needs a sign-in from the last five minutes.');
    expect(await fx.server.container.interactions.totp.enrolled(accountId)).toBeUndefined();

    // "Confirm it is you" by hand ends on the explaining step-up page, not in a loop.
    const reauth = await attacker.follow('/account/sign-in?reauth=1');
    const reauthStep = await attacker.submit(reauth, '/login', { email, password: NEW_PASSWORD });
    expect(reauthStep.status).toBe(200);
    expect(reauthStep.body).toContain(RESET_NOTICE);

    // Nor does the password the inbox set get the passkey offer that a password sign-in otherwise gets.
    const browser = new UserAgent(fx.server.url);
    const offered = await browser.submit(await openLoginPage(browser, (await authorizationRequest(app)).url), '/login', { email, password: NEW_PASSWORD, webauthn: '1' });
    expect(offered.url).not.toMatch(/\/passkey\/offer$/);
    expect(offered.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  test('a member with a phone is asked for SMS (email refused even when forged); the SMS step-up clears the flag', async () => {
    const { email, accountId, phone } = await memberWithPhone(fx, 'chain-phone');
    const ua = await resetByEmail(email);
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const stepUp = await signIn(ua, await openLoginPage(ua, request.url), email, NEW_PASSWORD);
    expect(stepUp.body).toContain('Text me a code');
    expect(stepUp.body).toContain(RESET_NOTICE);
    expect(stepUp.body).not.toContain('Email me a code instead');
    await expectEmailRefused(ua, stepUp, email);

    // The member has the SIM too: the texted code proves a second class, and the password is theirs again.
    // SMS is the page's only way (nothing to pick): send it straight away.
    const before = fx.sms.countFor(phone);
    const codePage = await ua.submit(stepUp, '/mfa/send', { channel: 'sms' });
    const proved = await ua.submit(codePage, '/mfa', { channel: 'sms', code: await fx.sms.waitForCode(phone, { after: before }) });
    const done = proved.status === 200 && proved.body.includes('/mfa/enrol"') ? await ua.submit(proved, '/mfa/finish') : proved;
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, done.url, request)).claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'sms', 'mfa'] });
    expect((await accounts().findById(accountId))?.passwordFromMailboxAt).toBeNull();

    // Later sign-ins behave as before: password plus an emailed code is two factors again.
    const later = new UserAgent(fx.server.url);
    const laterRequest = await authorizationRequest(app, { acr_values: LOA2 });
    const laterStep = await signIn(later, await openLoginPage(later, laterRequest.url), email, NEW_PASSWORD);
    expect(laterStep.body).not.toContain(RESET_NOTICE);
    const emailStep = await later.submit(laterStep, '/mfa/method', { method: 'email' });
    const laterDone = await stepUpWithEmailCode(later, emailStep, fx.sink, email);
    expect(laterDone.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, laterDone.url, laterRequest)).claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'email', 'mfa'] });
  });

  test('a password change from a session that proved the phone clears the flag', async () => {
    const { email, accountId, phone } = await memberWithPhone(fx, 'change-strong');
    // "Confirm it is you" with the phone: password, then the texted code.
    const ua = new UserAgent(fx.server.url);
    const login = await ua.follow('/account/sign-in?reauth=1');
    const stepUp = await ua.submit(login, '/login', { email, password: PASSWORD });
    const before = fx.sms.countFor(phone);
    const codePage = await sendStepUpSms(ua, stepUp);
    const proved = await ua.submit(codePage, '/mfa', { channel: 'sms', code: await fx.sms.waitForCode(phone, { after: before }) });
    const security = proved.status === 200 && proved.body.includes('/mfa/enrol"') ? await ua.submit(proved, '/mfa/finish') : proved;
    expect(isSecurityPage(security)).toBe(true);
    // The flag as a reset leaves it: set in storage, since every real way to this strong session (a step-up
    // by phone or device) already clears it on the way.
    await accounts().update(accountId, { passwordFromMailboxAt: new Date() });
    const changed = await ua.submit(await ua.follow('/account/password'), '/account/password', { password: 'my own new passphrase 19' });
    expect(changed.status).toBe(200);
    expect((await accounts().findById(accountId))?.passwordFromMailboxAt).toBeNull();
  });

  test('a password set at sign-up is unaffected, and a reset\'s flag lapses after MAILBOX_PASSWORD_DAYS', async () => {
    const { email, accountId } = await newMember('sign-up');
    expect((await accounts().findById(accountId))?.passwordFromMailboxAt).toBeNull();
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const done = await stepUpWithEmailCode(ua, await signIn(ua, await openLoginPage(ua, request.url), email), fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, done.url, request)).claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'email', 'mfa'] });

    // A reset older than the lapse: the password counts as knowledge again.
    await resetByEmail(email);
    await accounts().update(accountId, { passwordFromMailboxAt: new Date(Date.now() - (MAILBOX_PASSWORD_DAYS + 1) * DAY_MS) });
    const later = new UserAgent(fx.server.url);
    const laterRequest = await authorizationRequest(app, { acr_values: LOA2 });
    const laterDone = await stepUpWithEmailCode(later, await signIn(later, await openLoginPage(later, laterRequest.url), email, NEW_PASSWORD), fx.sink, email);
    expect(laterDone.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, laterDone.url, laterRequest)).claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'email', 'mfa'] });
  });

  test('the session a reset signs in is the mailbox: asked for two factors, it cannot step up by email', async () => {
    const { email } = await newMember('reset-session');
    const ua = new UserAgent(fx.server.url);
    const forgot = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), '/forgot');
    const before = fx.sink.countFor(email);
    const reset = await ua.submit(forgot, '/forgot', { email });
    const back = await ua.submit(reset, '/reset', { code: await fx.sink.waitForCode(email, { after: before }), password: NEW_PASSWORD });
    expect(back.url.startsWith(REDIRECT_URI)).toBe(true);
    await fx.server.container.deliveries.drain();

    // Same browser, same session: two factors asked; the inbox that signed it in is no second one.
    const stepUp = await ua.follow((await authorizationRequest(app, { acr_values: LOA2 })).url);
    expect(stepUp.status).toBe(200);
    expect(stepUp.url).toContain('/interaction/');
    expect(stepUp.body).not.toContain('/mfa/send"');
    await expectEmailRefused(ua, stepUp, email);
  });
});
