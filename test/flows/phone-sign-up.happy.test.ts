// Sign-up by mobile number (issue 21), happy paths: a member joins with a number and a texted code (no email, no
// password), signs in later by SMS code and gets an ID token without `email`; on a kiosk the number shows only
// masked and the member is texted the link to finish on their phone.
import { addPasskeyOnAccount, noticeOn, openSecurityPage } from '../support/account.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { followLink, openLoginPage, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { requestSmsSignIn, uniquePhone } from '../support/phone.ts';
import { requestPhoneSignUp, signUpByPhone } from '../support/phone-sign-up.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

/** "+44 ••• ••• 3456", as pages show a number. */
const masked = (phone: string) => `+44 ••• ••• ${phone.slice(-4)}`;

async function clientWith(fx: MemberServer, metadata: Record<string, unknown> = {}) {
  return discover(fx.server, await registerClient(fx.server, { first_party: true, scope: 'openid email phone', ...metadata }));
}

describe.each(STORES)('sign-up by mobile number (%s)', (store) => {
  // A host name, not an IP: passkeys need a domain (the phone-only member adds one).
  const fx = useMemberServer(store, {}, { publicHost: 'localhost' });

  afterEach(() => expect(fx.sms.rejections).toEqual([]));

  test('a phone sign-up counts like an email one: loyalty_sign_ups_total by channel, its funnel events in order, and the analytics sign-ups (method phone) and funnel', async () => {
    const web = async () => (await fx.server.container.metrics.signUps.get()).values.find((v) => v.labels.channel === 'web')?.value ?? 0;
    const token = await fx.server.adminToken();
    const today = new Date().toISOString().slice(0, 10);
    const range = `from=${today}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}`;
    /** The analytics series `metric` today, summed over the points matching `match`. */
    const analytics = async (metric: string, match: Record<string, string>) => {
      await fx.server.container.analytics!.catchUp();
      const response = await fetch(`${fx.server.url}/admin/analytics?metric=${metric}&${range}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const { series } = (await response.json()) as { series: Array<Record<string, string | number>> };
      return series.filter((p) => Object.entries(match).every(([k, v]) => p[k] === v)).reduce((sum, p) => sum + Number(p.value), 0);
    };
    const steps = ['started', 'code_sent', 'verified'];
    const funnel = async () => Promise.all(steps.map((step) => analytics('signup_funnel', { step })));
    const before = { counted: await web(), signups: await analytics('signups', { channel: 'web', method: 'phone' }), funnel: await funnel() };
    const from = new Date(Date.now() - 1000);

    const phone = uniquePhone();
    const done = await signUpByPhone(new UserAgent(fx.server.url), fx.sms, (await authorizationRequest(fx.config)).url, phone);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(await web()).toBe(before.counted + 1);
    const account = (await fx.server.container.storage.accounts.findByPhone(phone))!;
    const events = (await fx.server.container.storage.events.listByTime({ from, to: new Date(Date.now() + 60_000), limit: 1000 }))
      .filter((event) => event.memberId === account.id)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    // The analytics count a funnel step only after the member's start: the order matters.
    expect(events.map((event) => event.type).slice(0, 3)).toEqual(['member.created', 'signup.code_sent', 'member.phone_verified']);
    expect(events[0]!.data).toMatchObject({ channel: 'web', method: 'phone' });
    expect(await analytics('signups', { channel: 'web', method: 'phone' })).toBe(before.signups + 1);
    expect(await funnel()).toEqual(before.funnel.map((value) => value + 1));
  });

  test('"Use my mobile number instead": number → texted code → back at the client; ID token with the verified number and no email', async () => {
    const config = await clientWith(fx);
    const phone = uniquePhone();
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, { scope: 'openid email phone' });
    const register = await followLink(ua, await openLoginPage(ua, request.url), '/register');
    expect(register.body).toContain('Use my mobile number instead');
    const numberPage = await followLink(ua, register, '/register/phone');
    expect(numberPage.body).toContain('Join with your mobile number');
    expect(numberPage.body).not.toContain('name="password"');

    const before = fx.sms.countFor(phone);
    const codePage = await ua.submit(numberPage, '/register/phone', { phone });
    expect(codePage.url).toMatch(/\/register\/phone\/verify$/);
    expect(noticeOn(codePage)).toBe(`If this number can join, we texted a code to ${masked(phone)}.`);
    expect(codePage.body).not.toContain(phone.slice(3));
    const sms = await fx.sms.waitForMessage(phone, { after: before });
    expect(sms.text).toContain('your code to join the loyalty program');
    const code = /^(\d{6}) /.exec(sms.text)![1]!;

    const done = await ua.submit(codePage, '/register/phone/verify', { code });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(config, done.url, request);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['sms']);
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('email_verified');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ phone_number: phone, phone_number_verified: true });
    expect(userinfo).not.toHaveProperty('email');

    const { storage } = fx.server.container;
    const account = await storage.accounts.findByPhone(phone);
    expect(account).toMatchObject({ id: claims.sub, email: null, emailVerified: false, passwordHash: null, phone });
    expect(await storage.loyalty.findMember(claims.sub)).toBeDefined();
    // A member verified by the number: the cleanup of unverified sign-ups leaves it alone.
    expect(await storage.accounts.listUnverified(new Date(Date.now() + 60_000), 1000)).not.toContain(claims.sub);
  });

  test('the phone-only member signs in later by SMS code: an ID token without `email`', async () => {
    const config = await clientWith(fx);
    const phone = uniquePhone();
    const joined = await signUpByPhone(new UserAgent(fx.server.url), fx.sms, (await authorizationRequest(config)).url, phone);
    expect(joined.url.startsWith(REDIRECT_URI)).toBe(true);

    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, { scope: 'openid email phone' });
    const before = fx.sms.countFor(phone);
    const enter = await requestSmsSignIn(ua, request.url, phone);
    const done = await ua.submit(enter, '/code/verify', { code: await fx.sms.waitForCode(phone, { after: before }) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(config, done.url, request)).claims()!;
    expect(claims.sub).toBe((await fx.server.container.storage.accounts.findByPhone(phone))!.id);
    expect(claims.amr).toEqual(['sms']);
    expect(claims).not.toHaveProperty('email');
  });

  test('a step-up (redeeming, a partner asking for two factors) tells a phone-only member where to add a second way, sending nothing', async () => {
    const config = await clientWith(fx);
    const phone = uniquePhone();
    await signUpByPhone(new UserAgent(fx.server.url), fx.sms, (await authorizationRequest(config)).url, phone);

    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, { acr_values: 'urn:loyalty:loa:2' });
    const before = fx.sms.countFor(phone);
    const enter = await requestSmsSignIn(ua, request.url, phone);
    const stepUp = await ua.submit(enter, '/code/verify', { code: await fx.sms.waitForCode(phone, { after: before }) });
    expect(stepUp.url).toContain('/interaction/');
    expect(stepUp.body).toContain('your phone is the only one your account has');
    expect(stepUp.body).toContain('“Sign-in and security”');
    expect(stepUp.body).not.toContain('no verified way to receive a code');
    expect(fx.sms.countFor(phone)).toBe(before + 1);
  });

  test('a phone-only member adds an email later from the account page: a code to the address, then the email claim', async () => {
    const config = await clientWith(fx);
    const phone = uniquePhone();
    const email = uniqueEmail('phone-first-adds');
    const ua = new UserAgent(fx.server.url);
    expect((await signUpByPhone(ua, fx.sms, (await authorizationRequest(config)).url, phone)).url.startsWith(REDIRECT_URI)).toBe(true);

    const security = await openSecurityPage(ua);
    expect(security.body).toContain('You have not added an email yet.');
    expect(security.body).toContain(`>${'Add an email'}<`);
    const form = await followLink(ua, security, '/account/email');
    const before = fx.sink.countFor(email);
    const codePage = await ua.submit(form, '/account/email', { email });
    expect(codePage.url).toMatch(/\/account\/email\/verify$/);
    const done = await ua.submit(codePage, '/account/email/verify', { code: await fx.sink.waitForCode(email, { after: before }) });
    expect(noticeOn(done)).toBeDefined();
    expect(done.body).toContain(email);
    expect(await fx.server.container.storage.accounts.findByPhone(phone)).toMatchObject({ email, emailVerified: true, phone });

    // The next sign-in by SMS code: the ID token now carries the verified email.
    const request = await authorizationRequest(config, { scope: 'openid email phone', prompt: 'login' });
    const again = new UserAgent(fx.server.url);
    const sent = fx.sms.countFor(phone);
    const enter = await requestSmsSignIn(again, request.url, phone);
    const signedIn = await again.submit(enter, '/code/verify', { code: await fx.sms.waitForCode(phone, { after: sent }) });
    expect((await exchange(config, signedIn.url, request)).claims()).toMatchObject({ email, email_verified: true });
  });

  test('a phone-only member adds a passkey from the account page right after signing in by phone', async () => {
    const config = await clientWith(fx);
    const phone = uniquePhone();
    const ua = new UserAgent(fx.server.url);
    expect((await signUpByPhone(ua, fx.sms, (await authorizationRequest(config)).url, phone)).url.startsWith(REDIRECT_URI)).toBe(true);
    const security = await openSecurityPage(ua);
    // No password offer without an email (passwords sign in by email); the passkey is offered.
    expect(security.body).not.toContain('href="/account/password"');
    const authenticator = new SoftAuthenticator({ origin: fx.server.url });
    expect(await addPasskeyOnAccount(ua, security, authenticator)).toEqual({ status: 200, body: { location: '/account/security?notice=passkey_added' } });
    const account = (await fx.server.container.storage.accounts.findByPhone(phone))!;
    expect(await fx.server.container.storage.passkeys.listByAccount(account.id)).toHaveLength(1);
  });

  test('a client that requires an email: right after the texted code, the member adds and proves one, then the ID token carries it', async () => {
    const config = await clientWith(fx, { required_claims: ['email'] });
    const phone = uniquePhone();
    const email = uniqueEmail('phone-first-required');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, { scope: 'openid email phone' });
    const prompt = await signUpByPhone(ua, fx.sms, request.url, phone);
    expect(prompt.url).toMatch(/\/interaction\/[^/]+$/);
    expect(prompt.body).toContain('Add your email');
    const before = fx.sink.countFor(email);
    const codePage = await ua.submit(prompt, '/email', { email });
    expect(codePage.body).toContain(`We sent a 6-digit code to ${email[0]}`);
    expect(codePage.body).not.toContain(email);
    const wrong = await ua.submit(codePage, '/email/verify', { code: '000000' });
    expect(wrong.status).toBe(400);
    const done = await ua.submit(wrong, '/email/verify', { code: await fx.sink.waitForCode(email, { after: before }) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(config, done.url, request)).claims()).toMatchObject({ email, email_verified: true, amr: ['sms'] });
    expect(await fx.server.container.storage.accounts.findByPhone(phone)).toMatchObject({ email, emailVerified: true });
  });

  test('on a kiosk: the number only masked, no passkey offered, and a text with the link to finish on the phone', async () => {
    const config = await clientWith(fx, { enrolment_channel: 'kiosk' });
    const phone = uniquePhone();
    const kiosk = new UserAgent(fx.server.url);
    const before = fx.sms.countFor(phone);
    const codePage = await requestPhoneSignUp(kiosk, (await authorizationRequest(config)).url, phone);
    expect(codePage.body).toContain(masked(phone));
    expect(codePage.body).not.toContain(phone.slice(3));
    expect(codePage.body).not.toContain('/passkey');
    const code = await fx.sms.waitForCode(phone, { after: before });

    const done = await kiosk.submit(codePage, '/register/phone/verify', { code });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(done.body).not.toContain(phone.slice(3));
    await fx.server.container.deliveries.drain();
    const finish = await fx.sms.waitForMessage(phone, { after: before + 1 });
    expect(finish.text).toContain('Finish your account on your phone');
    expect(finish.text).toContain(`${fx.server.url}/account/security`);
    // One segment: GSM-7, at most 160 characters with the link.
    expect(finish.text.length).toBeLessThanOrEqual(160);
    expect((await fx.server.container.storage.accounts.findByPhone(phone))?.email).toBeNull();
    const member = await fx.server.container.storage.loyalty.findMember((await fx.server.container.storage.accounts.findByPhone(phone))!.id);
    expect(member?.enrolmentChannel).toBe('kiosk');
  });
});
