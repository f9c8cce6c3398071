// Authenticator app as the second factor: added after an email step-up (QR + key, confirmed by a first
// code, ten recovery codes shown once), then the way to step up, with recovery codes as its only fallback
// (an emailed code is weaker than the app the member chose). Codes are computed by the test's own TOTP.
import { enrolApp, isStepUpPage, openLoginPage, signIn, proveEmailCode, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { totpCode } from '../../support/totp.ts';

const LOA2 = 'urn:loyalty:loa:2';
/** Each time step is accepted once; later sign-ins use the next step, still inside the ±1 window. */
const nextStep = (key: string) => totpCode(key, Date.now() + 30_000);

describe.each(STORES)('authenticator app (%s)', (store) => {
  const fx = useMemberServer(store);

  async function newMember(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    return email;
  }

  async function stepUpPage(email: string) {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const page = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(isStepUpPage(page) || page.body.includes('/mfa/app"')).toBe(true);
    return { ua, request, page };
  }

  test('added after an email step-up: QR code and key, confirmed by a first code, ten recovery codes, then back at the client at loa:2', async () => {
    const email = await newMember('app-enrol');
    const { ua, request, page } = await stepUpPage(email);
    const enrolment = await enrolApp(ua, page, fx.sink, email, (key) => totpCode(key));
    expect(enrolment.key.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.recoveryCodes).toHaveLength(10);
    expect(new Set(enrolment.recoveryCodes).size).toBe(10);
    for (const code of enrolment.recoveryCodes) expect(code).toMatch(/^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/);
    expect(enrolment.done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, enrolment.done.url, request)).claims()!;
    expect(claims.acr).toBe(LOA2);
    // What this sign-in proved is the password and the mailbox; the app is used from the next step-up on.
    expect(claims.amr).toEqual(['pwd', 'email', 'mfa']);
  });

  test('the enrolment page draws the QR code as inline SVG, with no inline script and the otpauth URI only in the "Open in authenticator app" link', async () => {
    const email = await newMember('app-page');
    const { ua, page } = await stepUpPage(email);
    const offer = await proveEmailCode(ua, page, fx.sink, email);
    const enrolPage = await ua.submit(offer, '/mfa/enrol');
    expect(enrolPage.body).toMatch(/<figure class="qr"[^>]*><svg[^>]*viewBox/);
    // Only served script files (the copy button's), never inline code.
    expect([...enrolPage.body.matchAll(/<script[^>]*>/gi)].map((m) => m[0])).toEqual(['<script src="/static/copy.js" defer>']);
    // The URI with the secret is in the link a phone opens its authenticator app with, and nowhere else.
    expect(enrolPage.body.match(/otpauth:\/\//g)).toHaveLength(1);
    expect(enrolPage.body).toMatch(/<a class="button button-secondary" href="otpauth:\/\/totp\/[^"]+">Open in authenticator app<\/a>/);
    expect(enrolPage.headers.get('cache-control')).toBe('no-store');
  });

  test('once added, the app is the default second factor: its code alone completes the step-up', async () => {
    const email = await newMember('app-default');
    const first = await stepUpPage(email);
    const { key } = await enrolApp(first.ua, first.page, fx.sink, email, (k) => totpCode(k));
    const mailsBefore = fx.sink.countFor(email);

    const { ua, request, page } = await stepUpPage(email);
    expect(page.body).toContain('/mfa/app"');
    expect(page.body).toContain('Code from your app');
    const done = await ua.submit(page, '/mfa/app', { code: nextStep(key) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, done.url, request)).claims()!;
    expect(claims.acr).toBe(LOA2);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(fx.sink.countFor(email)).toBe(mailsBefore);
  });

  test('a recovery code works instead of the app, in any case and without the dash', async () => {
    const email = await newMember('app-recovery');
    const first = await stepUpPage(email);
    const { recoveryCodes } = await enrolApp(first.ua, first.page, fx.sink, email, (k) => totpCode(k));

    const { ua, request, page } = await stepUpPage(email);
    const recoveryPage = await ua.submit(page, '/mfa/method', { method: 'recovery' });
    expect(recoveryPage.body).toContain('/mfa/recovery"');
    const done = await ua.submit(recoveryPage, '/mfa/recovery', { code: recoveryCodes[3]!.replace('-', '').toLowerCase() });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
  });

  test('a member with an app is not offered an emailed code: the app, or a recovery code', async () => {
    const email = await newMember('app-email');
    const first = await stepUpPage(email);
    await enrolApp(first.ua, first.page, fx.sink, email, (k) => totpCode(k));

    const { ua, page } = await stepUpPage(email);
    expect(page.body).toContain('/mfa/app"');
    expect(page.body).toContain('Use a recovery code');
    expect(page.body).not.toContain('Email me a code instead');
    // Asking for it anyway changes nothing: the app page again, and no email goes out.
    const mails = fx.sink.countFor(email);
    const emailPage = await ua.submit(page, '/mfa/method', { method: 'email' });
    expect(emailPage.body).toContain('/mfa/app"');
    expect(isStepUpPage(emailPage)).toBe(false);
    expect(fx.sink.countFor(email)).toBe(mails);
  });

  test('"Not now" on the offer finishes the step-up without adding an app', async () => {
    const email = await newMember('app-skip');
    const { ua, request, page } = await stepUpPage(email);
    const offer = await proveEmailCode(ua, page, fx.sink, email);
    const done = await ua.submit(offer, '/mfa/finish');
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
    const again = await stepUpPage(email);
    expect(isStepUpPage(again.page)).toBe(true); // still email: nothing was enrolled
  });
});
