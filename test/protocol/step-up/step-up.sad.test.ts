// Step-up, by threat: skipping the second factor, guessing the code, replaying an old code, and a page
// view that would send mail. None of them may reach the client with loa:2.
import { findForm, isStepUpPage, openLoginPage, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../../support/member.ts';
import type { Page } from '../../support/user-agent.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';

const LOA2 = 'urn:loyalty:loa:2';

describe.each(STORES)('step-up threats (%s)', (store) => {
  const fx = useMemberServer(store);
  const email = uniqueEmail('stepup-sad');

  beforeAll(async () => {
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
  });

  /** Password sign-in for a loa:2 request; returns the step-up page with a code already sent. */
  async function atCodeForm() {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const mfaPage = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(isStepUpPage(mfaPage)).toBe(true);
    const before = fx.sink.countFor(email);
    const codePage = await ua.submit(mfaPage, '/mfa/send');
    const code = await fx.sink.waitForCode(email, { after: before });
    return { ua, request, mfaPage, codePage, code };
  }

  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const submitCode = (ua: UserAgent, page: Page, code: string) => ua.submit(page, '/mfa', { code });

  test('bypass: re-opening the authorization URL after the password lands on the step-up page again, not at the client', async () => {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const first = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(isStepUpPage(first)).toBe(true);
    const again = await ua.follow(request.url);
    expect(again.url.startsWith(REDIRECT_URI)).toBe(false);
    expect(isStepUpPage(again)).toBe(true);
  });

  test('bypass: the password form cannot be posted again to finish the step-up prompt', async () => {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const loginPage = await openLoginPage(ua, request.url);
    const mfaPage = await signIn(ua, loginPage, email);
    expect(isStepUpPage(mfaPage)).toBe(true);
    const uid = /\/interaction\/([^/"]+)\/mfa\/send/.exec(mfaPage.body)![1]!;
    const csrf = findForm(mfaPage.body, '/mfa/send').hidden;
    const replayedLogin = await ua.follow(`/interaction/${uid}/login`, { form: { ...csrf, email, password: 'correct horse battery staple' } });
    expect(replayedLogin.status).toBe(400);
    expect(replayedLogin.url.startsWith(REDIRECT_URI)).toBe(false);
  });

  test('bypass: the code form cannot be used while the member has not signed in', async () => {
    const ua = new UserAgent(fx.server.url);
    const loginPage = await openLoginPage(ua, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(loginPage.body)![1]!;
    const csrf = findForm(loginPage.body, '/login').hidden;
    const early = await ua.follow(`/interaction/${uid}/mfa`, { form: { ...csrf, code: '123456' } });
    expect(early.status).toBe(400);
    const send = await ua.follow(`/interaction/${uid}/mfa/send`, { form: csrf });
    expect(send.status).toBe(400);
  });

  test('guessing: after five wrong codes even the right code is refused', async () => {
    const { ua, codePage, code } = await atCodeForm();
    let page = codePage;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      page = await submitCode(ua, page, wrongCode(code));
      expect(page.status).toBe(400);
    }
    expect(page.body).toContain('Too many wrong codes');
    const sixth = await submitCode(ua, page, code);
    expect(sixth.status).toBe(400);
    expect(sixth.url.startsWith(REDIRECT_URI)).toBe(false);
  });

  test('replay: a code that already completed a step-up is refused in the next one', async () => {
    const { ua, request, codePage, code } = await atCodeForm();
    const offer = await submitCode(ua, codePage, code);
    const done = await ua.submit(offer, '/mfa/finish'); // "Not now" to the authenticator-app offer
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);

    const other = new UserAgent(fx.server.url);
    const mfaPage = await signIn(other, await openLoginPage(other, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    const uid = /\/interaction\/([^/"]+)\/mfa\/send/.exec(mfaPage.body)![1]!;
    const csrf = findForm(mfaPage.body, '/mfa/send').hidden;
    const replayed = await other.follow(`/interaction/${uid}/mfa`, { form: { ...csrf, code } });
    expect(replayed.status).toBe(400);
    expect(replayed.body).toContain('That code is not right');
  });

  test('malformed codes are refused with a form error', async () => {
    const { ua, codePage } = await atCodeForm();
    for (const code of ['', '12345', '1234567', 'abcdef', '12 456', '１２３４５６']) {
      const page = await submitCode(ua, codePage, code);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Enter the 6-digit code');
    }
  });

  test('no mail on a page view: only the explicit "Send code" POST emails a code', async () => {
    const before = fx.sink.countFor(email);
    const ua = new UserAgent(fx.server.url);
    const mfaPage = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    expect(isStepUpPage(mfaPage)).toBe(true);
    await ua.follow(mfaPage.url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sink.countFor(email)).toBe(before);
    await stepUpWithEmailCode(ua, mfaPage, fx.sink, email);
    expect(fx.sink.countFor(email)).toBe(before + 1);
  });
});

describe.each(STORES)('step-up without a verified email (%s)', (store) => {
  const fx = useMemberServer(store);
  const email = uniqueEmail('stepup-unverified');

  test('an account whose email is no longer verified is told so, gets no code, and cannot reach loa:2', async () => {
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const session = new UserAgent(fx.server.url);
    const mfaPage = await signIn(session, await openLoginPage(session, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    expect(isStepUpPage(mfaPage)).toBe(true);
    // As after an email change that is not confirmed yet: the address proves nothing.
    const account = await fx.server.container.storage.accounts.findByEmail(email);
    await fx.server.container.storage.accounts.update(account!.id, { emailVerified: false });

    const before = fx.sink.countFor(email);
    const page = await session.follow(mfaPage.url);
    expect(page.body).toContain('no verified way to receive a code');
    expect(page.body).not.toContain('/mfa/send"');
    const uid = /\/interaction\/([^/"]+)\/abort/.exec(page.body)![1]!;
    const csrf = findForm(page.body, '/abort').hidden;
    const sent = await session.follow(`/interaction/${uid}/mfa/send`, { form: csrf });
    expect(sent.body).toContain('no verified way to receive a code');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fx.sink.countFor(email)).toBe(before);
    const guessed = await session.follow(`/interaction/${uid}/mfa`, { form: { ...csrf, code: '123456' } });
    expect(guessed.status).toBe(400);
    expect(guessed.url.startsWith(REDIRECT_URI)).toBe(false);
  });
});
