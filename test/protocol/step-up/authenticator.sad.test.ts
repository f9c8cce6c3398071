// Authenticator app, by threat: replayed codes, guessing (sixth try), reused recovery codes, enrolling
// or finishing without a proven second factor, and a wrong first code at enrolment.
import { enrolApp, findForm, isStepUpPage, openLoginPage, signIn, proveEmailCode, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { totpCode } from '../../support/totp.ts';

const LOA2 = 'urn:loyalty:loa:2';
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe.each(STORES)('authenticator app threats (%s)', (store) => {
  const fx = useMemberServer(store);

  async function stepUpPage(email: string) {
    const ua = new UserAgent(fx.server.url);
    const page = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    return { ua, page };
  }

  /** A fresh member (so locks and used steps of one test never touch another) with an app enrolled. */
  async function memberWithApp(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const first = await stepUpPage(email);
    const enrolment = await enrolApp(first.ua, first.page, fx.sink, email, (key) => totpCode(key));
    return { email, ...enrolment };
  }

  test('replay: an app code already accepted is refused the second time, even inside its 30 seconds', async () => {
    const { email, key } = await memberWithApp('app-replay');
    const code = totpCode(key, Date.now() + 30_000);
    const first = await stepUpPage(email);
    expect((await first.ua.submit(first.page, '/mfa/app', { code })).url.startsWith(REDIRECT_URI)).toBe(true);
    const second = await stepUpPage(email);
    const replayed = await second.ua.submit(second.page, '/mfa/app', { code });
    expect(replayed.status).toBe(400);
    expect(replayed.url.startsWith(REDIRECT_URI)).toBe(false);
  });

  test('replay: the code that confirmed the enrolment cannot be used again to step up', async () => {
    const email = uniqueEmail('app-enrol-replay');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const first = await stepUpPage(email);
    let used = '';
    await enrolApp(first.ua, first.page, fx.sink, email, (key) => (used = totpCode(key)));
    const next = await stepUpPage(email);
    const replayed = await next.ua.submit(next.page, '/mfa/app', { code: used });
    expect(replayed.status).toBe(400);
  });

  test('guessing: after five wrong app codes the right one is refused, and so is a recovery code', async () => {
    const { email, key, recoveryCodes } = await memberWithApp('app-guess');
    const { ua, page } = await stepUpPage(email);
    let current = page;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      current = await ua.submit(current, '/mfa/app', { code: wrong(totpCode(key, Date.now() + 30_000)) });
      expect(current.status).toBe(400);
    }
    expect(current.body).toContain('Too many wrong codes');
    const right = await ua.submit(current, '/mfa/app', { code: totpCode(key, Date.now() + 30_000) });
    expect(right.status).toBe(400);
    const recoveryPage = await ua.submit(right, '/mfa/method', { method: 'recovery' });
    const recovery = await ua.submit(recoveryPage, '/mfa/recovery', { code: recoveryCodes[0]! });
    expect(recovery.status).toBe(400);
    expect(recovery.url.startsWith(REDIRECT_URI)).toBe(false);
  });

  test('reuse: a recovery code works once', async () => {
    const { email, recoveryCodes } = await memberWithApp('app-recovery-reuse');
    const use = async () => {
      const { ua, page } = await stepUpPage(email);
      const recoveryPage = await ua.submit(page, '/mfa/method', { method: 'recovery' });
      return ua.submit(recoveryPage, '/mfa/recovery', { code: recoveryCodes[0]! });
    };
    expect((await use()).url.startsWith(REDIRECT_URI)).toBe(true);
    const again = await use();
    expect(again.status).toBe(400);
    expect(again.body).toContain('already used');
  });

  test.each(['', 'ABCDE', 'ABCDE-FGHIJ-K', '<script>', 'ABCDE_FGHIJ'])('malformed recovery code %j is refused with a form error', async (code) => {
    const { email } = await memberWithApp('app-recovery-shape');
    const { ua, page } = await stepUpPage(email);
    const recoveryPage = await ua.submit(page, '/mfa/method', { method: 'recovery' });
    const refused = await ua.submit(recoveryPage, '/mfa/recovery', { code });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Enter a recovery code');
  });

  test('bypass: enrolling an app or finishing needs a second factor proven in this interaction', async () => {
    const email = uniqueEmail('app-bypass');
    const ua0 = new UserAgent(fx.server.url);
    await signUpAndVerify(ua0, await openLoginPage(ua0, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const { ua, page } = await stepUpPage(email);
    expect(isStepUpPage(page)).toBe(true);
    const uid = /\/interaction\/([^/"]+)\/mfa\/send/.exec(page.body)![1]!;
    const csrf = findForm(page.body, '/mfa/send').hidden;
    for (const path of ['/mfa/enrol', '/mfa/finish', '/mfa/enrol/confirm']) {
      const response = await ua.follow(`/interaction/${uid}${path}`, { form: { ...csrf, code: '123456' } });
      expect(response.status).toBe(400);
      expect(response.url.startsWith(REDIRECT_URI)).toBe(false);
    }
    // Without an app, asking for the app or recovery pages falls back to the email code page.
    const appChoice = await ua.follow(`/interaction/${uid}/mfa/method`, { form: { ...csrf, method: 'totp' } });
    expect(isStepUpPage(appChoice)).toBe(true);
    const forged = await ua.follow(`/interaction/${uid}/mfa/app`, { form: { ...csrf, code: '123456' } });
    expect(forged.status).toBe(400);
  });

  test('a wrong first code does not finish enrolment: the next step-up still uses email', async () => {
    const email = uniqueEmail('app-wrong-first');
    const ua0 = new UserAgent(fx.server.url);
    await signUpAndVerify(ua0, await openLoginPage(ua0, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const { ua, page } = await stepUpPage(email);
    const offer = await proveEmailCode(ua, page, fx.sink, email);
    const enrolPage = await ua.submit(offer, '/mfa/enrol');
    const key = /id="manual-key">([A-Z2-7 ]+)</.exec(enrolPage.body)![1]!;
    const refused = await ua.submit(enrolPage, '/mfa/enrol/confirm', { code: wrong(totpCode(key)) });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('id="manual-key"');
    await ua.submit(refused, '/mfa/finish');
    const next = await stepUpPage(email);
    expect(isStepUpPage(next.page)).toBe(true);
  });
});
