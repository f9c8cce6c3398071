// Step-up to urn:loyalty:loa:2 with an emailed code: asked by acr_values, the claims parameter or the
// client's require_mfa; the ID token's acr/amr/auth_time say what was done; the session id rotates.
import { isStepUpPage, openLoginPage, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';

const LOA1 = 'urn:loyalty:loa:1';
const LOA2 = 'urn:loyalty:loa:2';

function sessionCookie(ua: UserAgent): string | undefined {
  return /(?:^|; )_session=([^;]+)/.exec(ua.cookieHeader())?.[1];
}

describe.each(STORES)('step-up with an emailed code (%s)', (store) => {
  const fx = useMemberServer(store);
  const email = uniqueEmail('stepup');

  beforeAll(async () => {
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
  });

  /** Signs in with the password on a fresh browser and returns the page after the login form. */
  async function passwordSignIn(params: Record<string, string>, config = fx.config) {
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config, params);
    const afterLogin = await signIn(ua, await openLoginPage(ua, request.url), email);
    return { ua, request, afterLogin };
  }

  test('acr_values=loa:2 asks for a second factor after the password, and the ID token says loa:2 with pwd+email+mfa', async () => {
    const started = Math.floor(Date.now() / 1000);
    const { ua, request, afterLogin } = await passwordSignIn({ acr_values: LOA2 });
    expect(isStepUpPage(afterLogin)).toBe(true);
    const done = await stepUpWithEmailCode(ua, afterLogin, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, done.url, request)).claims()!;
    expect(claims.acr).toBe(LOA2);
    expect(claims.amr).toEqual(['pwd', 'email', 'mfa']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(started);
  });

  test('a one-factor session steps up without the password again, and the session id changes', async () => {
    const { ua, afterLogin } = await passwordSignIn({});
    expect(afterLogin.url.startsWith(REDIRECT_URI)).toBe(true);
    const before = sessionCookie(ua);
    expect(before).toBeTruthy();

    const request = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const page = await ua.follow(request.url);
    expect(isStepUpPage(page)).toBe(true);
    const done = await stepUpWithEmailCode(ua, page, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
    expect(sessionCookie(ua)).toBeTruthy();
    expect(sessionCookie(ua)).not.toBe(before);

    // The stepped-up session now satisfies loa:2 without another prompt (single sign-on at that level).
    const again = await authorizationRequest(fx.config, { acr_values: LOA2 });
    const sso = await ua.follow(again.url);
    expect(sso.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, sso.url, again)).claims()!.acr).toBe(LOA2);
  });

  test('the claims parameter asking for acr loa:2 as essential is honoured the same way', async () => {
    const claimsParam = JSON.stringify({ id_token: { acr: { essential: true, value: LOA2 } } });
    const { ua, request, afterLogin } = await passwordSignIn({ claims: claimsParam });
    expect(isStepUpPage(afterLogin)).toBe(true);
    const done = await stepUpWithEmailCode(ua, afterLogin, fx.sink, email);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
  });

  test('a client flagged require_mfa always gets two factors, without asking', async () => {
    const strict = await registerClient(fx.server, { first_party: true, require_mfa: true } as Record<string, unknown>);
    const config = await discover(fx.server, strict);
    const { ua, request, afterLogin } = await passwordSignIn({}, config);
    expect(isStepUpPage(afterLogin)).toBe(true);
    const done = await stepUpWithEmailCode(ua, afterLogin, fx.sink, email);
    expect((await exchange(config, done.url, request)).claims()!.acr).toBe(LOA2);
  });

  test('acr_values listing loa:1 as acceptable needs no second factor', async () => {
    const { request, afterLogin } = await passwordSignIn({ acr_values: `${LOA1} ${LOA2}` });
    expect(afterLogin.url.startsWith(REDIRECT_URI)).toBe(true);
    const claims = (await exchange(fx.config, afterLogin.url, request)).claims()!;
    expect(claims.acr).toBe(LOA1);
    expect(claims.amr).toEqual(['pwd']);
  });

  test('asking for phr (passkeys, not offered yet) gets the strongest level reachable, loa:2, without looping', async () => {
    const { ua, request, afterLogin } = await passwordSignIn({ acr_values: 'urn:loyalty:loa:phr' });
    expect(isStepUpPage(afterLogin)).toBe(true);
    const done = await stepUpWithEmailCode(ua, afterLogin, fx.sink, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect((await exchange(fx.config, done.url, request)).claims()!.acr).toBe(LOA2);
  });
});
