// Threat: two "factors" from one mailbox (or one SIM). The assurance level counts distinct factor classes
// (password, mailbox, phone number, device, the person), never steps: an emailed sign-in code plus an emailed
// step-up code is one mailbox, a texted code plus a texted code one SIM. A member with an authenticator app
// is asked for the app, so whoever reads their inbox can neither reach loa:2, remove the app nor redeem points.
import { randomUUID } from 'node:crypto';
import { accountCsrf, addAppOnAccount, confirmedMember, confirmItsYouWithApp, isSecurityPage, noticeOn, openSecurityPage } from '../support/account.ts';
import { enrolApp, followLink, openLoginPage, PASSWORD, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../support/member.ts';
import { type AuthRequest, authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { memberApiResource } from '../support/member-api.ts';
import { memberWithPhone, requestSmsSignIn } from '../support/phone.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { totpCode } from '../support/totp.ts';
import type { Page } from '../support/user-agent.ts';

const LOA1 = 'urn:loyalty:loa:1';
const LOA2 = 'urn:loyalty:loa:2';
const SCOPE = 'openid loyalty loyalty:redeem';

describe.each(STORES)('assurance from distinct factor classes (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;

  beforeAll(async () => {
    app = await discover(fx.server, await registerClient(fx.server, { first_party: true, scope: `${SCOPE} email`, allowed_resources: [memberApiResource(fx.server)] }));
  });

  async function newMember(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), fx.sink, email);
    return { email, accountId: (await fx.server.container.storage.accounts.findByEmail(email))!.id };
  }

  /** "Email me a sign-in code" in a new browser for `request`: where the code led. */
  async function emailCodeSignIn(email: string, request: AuthRequest, ua = new UserAgent(fx.server.url)) {
    const codeRequest = await followLink(ua, await openLoginPage(ua, request.url), '/code');
    const before = fx.sink.countFor(email);
    const enter = await ua.submit(codeRequest, '/code', { email });
    return { ua, page: await ua.submit(enter, '/code/verify', { code: await fx.sink.waitForCode(email, { after: before }) }) };
  }

  /** POSTs a step-up form by hand, as a forged page would: the server decides, not the form. */
  function forge(ua: UserAgent, page: Page, path: string, fields: Record<string, string>): Promise<Page> {
    const uid = /\/interaction\/([^/"?#]+)/.exec(page.url)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return ua.follow(`/interaction/${uid}${path}`, { form: { csrf, ...fields } });
  }

  test('an emailed sign-in code plus an emailed step-up code never reaches loa:2', async () => {
    const { email } = await newMember('same-mailbox');
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const { ua, page } = await emailCodeSignIn(email, request);
    // The step-up page offers no emailed code: the mailbox is proven already, and nothing else exists.
    expect(page.status).toBe(200);
    expect(page.body).toContain('needs a second, different way to confirm it is you');
    expect(page.body).not.toContain('/mfa/send"');
    const mails = fx.sink.countFor(email);
    await forge(ua, page, '/mfa/send', { channel: 'email' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sink.countFor(email)).toBe(mails);
    const guessed = await forge(ua, page, '/mfa', { channel: 'email', code: '123456' });
    expect(guessed.status).toBe(400);
    expect(guessed.url.startsWith(REDIRECT_URI)).toBe(false);
    // Asking for one factor only, the same sign-in is what it is: loa:1, amr email.
    const plain = await authorizationRequest(app);
    const done = await ua.follow(plain.url);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, done.url, plain)).claims()).toMatchObject({ acr: LOA1, amr: ['email'] });
  });

  test('a texted sign-in code plus a texted step-up code never reaches loa:2; the email is a different class and does', async () => {
    const { email, phone } = await memberWithPhone(fx, 'same-sim');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const before = fx.sms.countFor(phone);
    const enter = await requestSmsSignIn(ua, request.url, phone);
    const stepUp = await ua.submit(enter, '/code/verify', { code: await fx.sms.waitForCode(phone, { after: before }) });
    expect(stepUp.status).toBe(200);
    expect(stepUp.body).not.toContain('Text me a code');
    const texts = fx.sms.countFor(phone);
    const smsChoice = await forge(ua, stepUp, '/mfa/method', { method: 'sms' });
    expect(smsChoice.body).not.toContain('Text me a code');
    await forge(ua, stepUp, '/mfa/send', { channel: 'sms' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sms.countFor(phone)).toBe(texts);
    const guessed = await forge(ua, stepUp, '/mfa', { channel: 'sms', code: '123456' });
    expect(guessed.status).toBe(400);

    const done = await stepUpWithEmailCode(ua, stepUp, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(app, done.url, request)).claims()!;
    expect(claims.acr).toBe(LOA2);
    expect(claims.amr).toEqual(['sms', 'email', 'mfa']);
  });

  test('password plus an emailed code reaches loa:2 with amr pwd, email, mfa', async () => {
    const { email } = await newMember('pwd-email');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const mfa = await signIn(ua, await openLoginPage(ua, request.url), email);
    const done = await stepUpWithEmailCode(ua, mfa, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(app, done.url, request)).claims()!;
    expect(claims.acr).toBe(LOA2);
    expect(claims.amr).toEqual(['pwd', 'email', 'mfa']);
  });

  test('a member with an app (and a phone) is asked for the app; email and SMS are not offered and refused', async () => {
    const { email, phone } = await memberWithPhone(fx, 'has-app');
    const first = new UserAgent(fx.server.url);
    const firstRequest = await authorizationRequest(app, { acr_values: LOA2 });
    const firstMfa = await signIn(first, await openLoginPage(first, firstRequest.url), email);
    const emailStep = await first.submit(firstMfa, '/mfa/method', { method: 'email' });
    const { key } = await enrolApp(first, emailStep, fx.sink, email, (k) => totpCode(k));

    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(app, { acr_values: LOA2 });
    const page = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(page.body).toContain('/mfa/app"');
    expect(page.body).not.toContain('Email me a code instead');
    expect(page.body).not.toContain('Text me a code instead');
    // Mail already queued (the app-added notice) is sent first, so the count below is only what these posts cause.
    await fx.server.container.deliveries.drain();
    const [mails, texts] = [fx.sink.countFor(email), fx.sms.countFor(phone)];
    for (const channel of ['email', 'sms']) {
      await forge(ua, page, '/mfa/send', { channel });
      expect((await forge(ua, page, '/mfa', { channel, code: '123456' })).status).toBe(400);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([fx.sink.countFor(email), fx.sms.countFor(phone)]).toEqual([mails, texts]);
    const done = await ua.submit(page, '/mfa/app', { code: totpCode(key, Date.now() + 30_000) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(app, done.url, request)).claims()).toMatchObject({ acr: LOA2, amr: ['pwd', 'otp', 'mfa'] });
  });

  test('the review\'s exploit: with the member\'s mailbox only, the app cannot be removed and no points redeemed', async () => {
    const { email, accountId } = await newMember('exploit');
    const owner = new UserAgent(fx.server.url);
    const ownerMfa = await signIn(owner, await openLoginPage(owner, (await authorizationRequest(app, { acr_values: LOA2 })).url), email);
    await enrolApp(owner, ownerMfa, fx.sink, email, (k) => totpCode(k));
    await fx.server.container.loyalty.earn({ accountId, points: 750, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });

    // The attacker reads the inbox: an emailed sign-in code, asking for what a redemption needs.
    const request = await authorizationRequest(app, { scope: SCOPE, acr_values: LOA2 });
    const { ua: attacker, page: stepUp } = await emailCodeSignIn(email, request);
    expect(stepUp.body).toContain('/mfa/app"');
    expect(stepUp.body).not.toContain('Email me a code instead');
    const mails = fx.sink.countFor(email);
    await forge(attacker, stepUp, '/mfa/send', { channel: 'email' });
    expect((await forge(attacker, stepUp, '/mfa', { channel: 'email', code: '123456' })).status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sink.countFor(email)).toBe(mails);

    // The one-factor session the email code gave: the account page cannot remove the app.
    const security = await openSecurityPage(attacker);
    expect(isSecurityPage(security)).toBe(true);
    const removed = await attacker.follow('/account/app/remove', { form: { csrf: accountCsrf(security) } });
    expect(noticeOn(removed)).toBe('Confirm it is you first: that change needs a sign-in from the last five minutes.');
    expect(await fx.server.container.interactions.totp.enrolled(accountId)).toBeDefined();

    // Its token is one factor: the redemption is refused and the points stay.
    // A real member-API token (the API's audience), so the refusal below is about assurance, nothing else.
    const weak = await authorizationRequest(app, { scope: SCOPE, resource: memberApiResource(fx.server) });
    const done = await attacker.follow(weak.url);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(app, done.url, weak);
    expect(tokens.claims()).toMatchObject({ acr: LOA1, amr: ['email'] });
    const redeem = await fetch(new URL('/api/v1/me/redemptions', fx.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ points: 750 }),
    });
    expect(redeem.status).toBe(401);
    expect(redeem.headers.get('www-authenticate')).toContain('insufficient_user_authentication');
    expect((await fx.server.container.storage.loyalty.findMember(accountId))?.balance).toBe(750);
  });

  test('removing a factor needs a sign-in at least as strong: password plus email cannot remove the app, the app can', async () => {
    const { ua, email, accountId, page } = await confirmedMember(fx, 'remove-strength');
    const { key } = await addAppOnAccount(ua, page);
    const refused = await ua.submit(await openSecurityPage(ua), '/account/app/remove');
    expect(noticeOn(refused)).toContain('needs a recent sign-in at least as strong as it');
    expect(refused.body).toContain('href="/account/sign-in?reauth=1"');
    expect(await fx.server.container.interactions.totp.enrolled(accountId)).toBeDefined();
    const confirmed = await confirmItsYouWithApp(ua, email, totpCode(key, Date.now() + 30_000));
    expect(noticeOn(await ua.submit(confirmed, '/account/app/remove'))).toBe('Authenticator app removed. Its recovery codes no longer work.');
    expect(await fx.server.container.interactions.totp.enrolled(accountId)).toBeUndefined();
  });

  test('a password alone cannot make a passkey that would outrank the member\'s app: no passkey offer then', async () => {
    const without = await newMember('offer-no-app');
    const offered = new UserAgent(fx.server.url);
    const offer = await offered.submit(await openLoginPage(offered, (await authorizationRequest(app)).url), '/login', { email: without.email, password: PASSWORD, webauthn: '1' });
    expect(offer.url).toMatch(/\/passkey\/offer$/);

    const { email } = await newMember('offer-has-app');
    const owner = new UserAgent(fx.server.url);
    await enrolApp(owner, await signIn(owner, await openLoginPage(owner, (await authorizationRequest(app, { acr_values: LOA2 })).url), email), fx.sink, email, (k) => totpCode(k));
    const ua = new UserAgent(fx.server.url);
    const done = await ua.submit(await openLoginPage(ua, (await authorizationRequest(app)).url), '/login', { email, password: PASSWORD, webauthn: '1' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
  });
});
