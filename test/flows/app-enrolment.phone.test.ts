// Adding an authenticator app on a phone: an otpauth:// "Open in authenticator app" link and a copy button
// for the key; the recovery codes can be copied and downloaded as a text file made by the server, only by
// the signed-in member and only for their own unused codes.
import { addAppOnAccount, confirmedMember } from '../support/account.ts';
import { totpCode } from '../support/totp.ts';
import { enrolApp, isStepUpPage, manualKeyOn, openLoginPage, proveEmailCode, recoveryCodesOn, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const LOA2 = 'urn:loyalty:loa:2';

describe.each(STORES)('app enrolment on a phone and the recovery codes (%s)', (store) => {
  const fx = useMemberServer(store);

  async function stepUp() {
    const email = uniqueEmail('app-phone');
    const signUp = new UserAgent(fx.server.url);
    await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const ua = new UserAgent(fx.server.url);
    const page = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config, { acr_values: LOA2 })).url), email);
    expect(isStepUpPage(page)).toBe(true);
    return { ua, page, email };
  }

  test('the enrolment page links the otpauth URI and offers to copy the key; the codes page to copy and download', async () => {
    const { ua, page, email } = await stepUp();
    const offer = await proveEmailCode(ua, page, fx.sink, email);
    const enrol = await ua.submit(offer, '/mfa/enrol');
    const key = manualKeyOn(enrol).replace(/ /g, '');
    const link = /<a class="button button-secondary" href="(otpauth:\/\/totp\/[^"]+)">Open in authenticator app<\/a>/.exec(enrol.body)?.[1];
    expect(link).toBeDefined();
    const uri = new URL(link!.replace(/&amp;/g, '&'));
    expect(uri.searchParams.get('secret')).toBe(key);
    expect(decodeURIComponent(uri.pathname)).toContain(email);
    // The copy button waits for its script (hidden without it), which is a served file: the CSP allows no inline code.
    expect(enrol.body).toMatch(/<button type="button"[^>]*data-copy="manual-key"[^>]*hidden>Copy key<\/button>/);
    expect(enrol.body).toContain('<script src="/static/copy.js" defer></script>');
    const script = await fetch(`${fx.server.url}/static/copy.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);

    const codesPage = await ua.submit(enrol, '/mfa/enrol/confirm', { code: totpCode(key) });
    const codes = recoveryCodesOn(codesPage);
    expect(codesPage.body).toMatch(/data-copy="recovery-codes"[^>]*hidden>Copy codes<\/button>/);
    const file = await ua.submit(codesPage, '/mfa/codes.txt');
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="recovery-codes.txt"');
    expect(file.headers.get('cache-control')).toBe('no-store');
    expect(file.body).toContain(`Recovery codes for ${email}`);
    expect(file.body.split('\r\n').filter((line) => /^[A-Z0-9]{5}-[A-Z0-9]{5}$/.test(line))).toEqual(codes);
  });

  test('the download hands back only the member\'s own unused codes, and only with the session', async () => {
    const { ua, page, email } = await stepUp();
    const enrolment = await enrolApp(ua, page, fx.sink, email, totpCode);
    expect(enrolment.recoveryCodes).toHaveLength(10);
    // Another member's interaction, with made-up codes of the right shape: refused, nothing sent back.
    const other = await stepUp();
    const offer = await proveEmailCode(other.ua, other.page, fx.sink, other.email);
    const otherEnrol = await other.ua.submit(offer, '/mfa/enrol');
    const otherCodes = await other.ua.submit(otherEnrol, '/mfa/enrol/confirm', { code: totpCode(manualKeyOn(otherEnrol).replace(/ /g, '')) });
    const stolen = await other.ua.submit(otherCodes, '/mfa/codes.txt', { codes: enrolment.recoveryCodes.join(' ') });
    expect(stolen.status).toBe(400);
    expect(stolen.body).not.toContain(enrolment.recoveryCodes[0]);
    // Without the browser's cookies (no interaction, no CSRF pairing): refused.
    const action = /action="([^"]*\/mfa\/codes\.txt)"/.exec(otherCodes.body)![1]!;
    const bare = await new UserAgent(fx.server.url).request(action, { form: { codes: recoveryCodesOn(otherCodes).join(' '), csrf: 'x' } });
    expect(bare.status).toBeGreaterThanOrEqual(400);
    expect(bare.headers.get('content-disposition')).toBeNull();
  });

  test('on the account page too: the enrolment links the app, and the codes download only for the signed-in member', async () => {
    const member = await confirmedMember(fx, 'app-account');
    const { enrolPage, codesPage, recoveryCodes } = await addAppOnAccount(member.ua, member.page);
    expect(enrolPage.body).toMatch(/href="otpauth:\/\/totp\/[^"]+">Open in authenticator app<\/a>/);
    const file = await member.ua.submit(codesPage, '/account/recovery-codes.txt');
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="recovery-codes.txt"');
    expect(file.body.split('\r\n').filter((line) => /^[A-Z0-9]{5}-[A-Z0-9]{5}$/.test(line))).toEqual(recoveryCodes);
    // A signed-out browser gets no file.
    const stranger = await new UserAgent(fx.server.url).request('/account/recovery-codes.txt', { form: { codes: recoveryCodes.join(' '), csrf: 'x' } });
    expect(stranger.headers.get('content-disposition')).toBeNull();
    expect(stranger.body).not.toContain(recoveryCodes[0]);
  });
});
