// SMS, happy paths: a member adds a mobile on the account page, steps up with a texted code (loa:2,
// amr sms), signs in with one (loa:1), shares it under the phone scope, and removes it again.
import { confirmedMember, noticeOn } from '../support/account.ts';
import { isStepUpPage, openLoginPage, PASSWORD, signIn, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { addPhoneOnAccount, memberWithPhone, requestSmsSignIn, sendStepUpSms, submitPhoneOnAccount, uniquePhone } from '../support/phone.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const LOA1 = 'urn:loyalty:loa:1';
const LOA2 = 'urn:loyalty:loa:2';

/** Waits for SMS #`after`+1 to `to`; checks it ends with the WebOTP line for our host and returns its code. */
async function textedCode(fx: MemberServer, to: string, after: number): Promise<string> {
  const sms = await fx.sms.waitForMessage(to, { after });
  const code = /^(\d{6}) /.exec(sms.text)?.[1];
  expect(code).toBeDefined();
  // WebOTP: phones offer to fill the code in only on this origin's pages.
  expect(sms.text.split('\n').at(-1)).toBe(`@${new URL(fx.server.url).host} #${code}`);
  return code!;
}

/** "+44 ••• ••• 3456", as pages and emails show a number. */
const masked = (phone: string) => `+44 ••• ••• ${phone.slice(-4)}`;
/** "+44 7911 212345": the account page shows the number grouped, never the stored E.164. */
const shown = (phone: string) => `+44 ${phone.slice(3, 7)} ${phone.slice(7)}`;

describe.each(STORES)('SMS: a mobile on the account (%s)', (store) => {
  const fx = useMemberServer(store);

  // Every webhook call carried a signature the provider accepted.
  afterEach(() => expect(fx.sms.rejections).toEqual([]));

  test('add a mobile from the account page: a code by SMS, the number on the page, a "security changed" email', async () => {
    const { ua, email } = await confirmedMember(fx, 'sms-add');
    const phone = uniquePhone();
    const mails = fx.sink.countFor(email);

    const codePage = await submitPhoneOnAccount(ua, phone);
    expect(codePage.status).toBe(200);
    expect(codePage.url).toMatch(/\/account\/phone\/verify$/);
    expect(noticeOn(codePage)).toBe(`We texted a 6-digit code to ${masked(phone)}. It expires in 10 minutes.`);
    const code = await textedCode(fx, phone, 0);
    expect(fx.sms.messages.find((m) => m.to === phone)!.text).toContain('add this phone to your loyalty account');

    const done = await ua.submit(codePage, '/account/phone/verify', { code });
    expect(done.status).toBe(200);
    expect(noticeOn(done)).toBe('Mobile number added.');
    expect(done.body).toContain(`${shown(phone)} can receive sign-in codes by text message.`);
    expect(done.body).not.toContain(phone);
    expect(done.body).toContain('action="/account/phone/remove"');

    const notice = await fx.sink.waitForMessage(email, { after: mails });
    expect(notice.text).toContain('Your account security changed');
    expect(notice.text).toContain(`The mobile number ${masked(phone)} was added to your account.`);
    expect(notice.text).not.toContain(phone);
  });

  test('an RP asking acr_values loa:2: the member picks "Text me a code" → ID token acr loa:2, amr pwd+sms+mfa', async () => {
    const { email, phone } = await memberWithPhone(fx, 'sms-stepup');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const mfaPage = await signIn(ua, await openLoginPage(ua, request.url), email, PASSWORD);
    expect(isStepUpPage(mfaPage)).toBe(true);
    expect(mfaPage.body).toContain('Text me a code');

    const before = fx.sms.countFor(phone);
    const codePage = await sendStepUpSms(ua, mfaPage);
    expect(codePage.body).toContain(masked(phone));
    const code = await textedCode(fx, phone, before);
    expect(fx.sms.messages.filter((m) => m.to === phone).at(-1)!.text).toContain('your code to confirm it is you');
    const offer = await ua.submit(codePage, '/mfa', { code });
    // Without an authenticator app the member is offered one; they decline.
    const done = offer.body.includes('/mfa/enrol"') ? await ua.submit(offer, '/mfa/finish') : offer;
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);

    const claims = (await exchange(fx.config, done.url, request)).claims()!;
    expect(claims.acr).toBe(LOA2);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'sms', 'mfa']));
    expect(claims.amr).not.toContain('otp');
  });

  test('passwordless sign-in by SMS: the code → back at the client with acr loa:1 and amr [sms]', async () => {
    const { accountId, phone } = await memberWithPhone(fx, 'sms-signin');
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const before = fx.sms.countFor(phone);
    const enter = await requestSmsSignIn(ua, request.url, phone);
    expect(enter.url).toMatch(/\/code\/verify$/);
    expect(enter.body).toContain(masked(phone));
    const code = await textedCode(fx, phone, before);
    expect(fx.sms.messages.filter((m) => m.to === phone).at(-1)!.text).toContain('your sign-in code');

    const done = await ua.submit(enter, '/code/verify', { code });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, done.url, request)).claims()!;
    expect(claims.sub).toBe(accountId);
    expect(claims.acr).toBe(LOA1);
    expect(claims.amr).toEqual(['sms']);
  });

  test('scope phone: userinfo has phone_number in E.164 and phone_number_verified true', async () => {
    const { phone } = await memberWithPhone(fx, 'sms-claims');
    const client = await registerClient(fx.server, { first_party: true, scope: 'openid email phone' });
    const config = await discover(fx.server, client);
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, { scope: 'openid phone' });
    const before = fx.sms.countFor(phone);
    // Typed the way people type it: spaces and the national trunk prefix in brackets.
    const typed = `+44 (0) ${phone.slice(3, 7)} ${phone.slice(7)}`;
    const enter = await requestSmsSignIn(ua, request.url, typed);
    const done = await ua.submit(enter, '/code/verify', { code: await textedCode(fx, phone, before) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);

    const tokens = await exchange(config, done.url, request);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.phone_number).toBe(phone);
    expect(userinfo.phone_number).toMatch(/^\+[1-9]\d{7,14}$/);
    expect(userinfo.phone_number_verified).toBe(true);
  });

  test('a number in national format is read in the country selected beside it, and refused in another', async () => {
    const { ua } = await confirmedMember(fx, 'sms-national');
    const phone = uniquePhone();
    const national = `0${phone.slice(3)}`;
    // The English page preselects the first of SMS_COUNTRIES (MX): a British national number is not Mexican.
    const refused = await submitPhoneOnAccount(ua, national);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Enter a mobile number, like 222 123 4567.');
    const codePage = await ua.submit(await ua.follow('/account/phone'), '/account/phone', { phone: national, country: 'GB' });
    expect(codePage.url.endsWith('/account/phone/verify')).toBe(true);
    await fx.sms.waitForCode(phone);
  });

  test('removing the mobile: the page says so, an email says so, and SMS sign-in with it texts nothing', async () => {
    const { ua, email, phone, page } = await memberWithPhone(fx, 'sms-remove');
    const mails = fx.sink.countFor(email);
    const removed = await ua.submit(page, '/account/phone/remove');
    expect(noticeOn(removed)).toBe('Mobile number removed.');
    expect(removed.body).not.toContain(phone);
    expect(removed.body).toContain('No mobile number.');
    expect((await fx.sink.waitForMessage(email, { after: mails })).text).toContain(`The mobile number ${masked(phone)} was removed from your account.`);

    const texts = fx.sms.countFor(phone);
    const other = new UserAgent(fx.server.url);
    const enter = await requestSmsSignIn(other, (await authorizationRequest(fx.config)).url, phone);
    // Same page as for any number, so the form tells nobody the number left an account.
    expect(enter.url).toMatch(/\/code\/verify$/);
    expect(fx.sms.countFor(phone)).toBe(texts);
  });
});

describe.each(STORES)('SMS: national format with SMS_DEFAULT_COUNTRY=GB (%s)', (store) => {
  const fx = useMemberServer(store, { SMS_DEFAULT_COUNTRY: 'GB' });

  test('"07911 2xxxxx" is read as +44 7911 2xxxxx on the account page and on the SMS sign-in page', async () => {
    const { ua, accountId } = await confirmedMember(fx, 'sms-national');
    const phone = uniquePhone();
    const national = `0${phone.slice(3, 7)} ${phone.slice(7)}`;

    const added = await addPhoneOnAccount(ua, fx.sms, phone, national);
    expect(noticeOn(added)).toBe('Mobile number added.');
    expect(added.body).toContain(`${shown(phone)} can receive sign-in codes`);

    const other = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const before = fx.sms.countFor(phone);
    const enter = await requestSmsSignIn(other, request.url, national);
    const done = await other.submit(enter, '/code/verify', { code: await fx.sms.waitForCode(phone, { after: before }) });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.sub).toBe(accountId);
  });
});
