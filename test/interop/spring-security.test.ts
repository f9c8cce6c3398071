// Recipe "Spring Security" (docs/partners.md). Spring Boot cannot run here, so this test makes, byte for byte
// where it matters, the requests spring-security-oauth2-client 6.x makes with the recipe's configuration:
// the authorization request (state, nonce as the SHA-256 of Spring's raw nonce, PKCE only with the
// customizer), the token request with client_secret_basic (id and secret form-urlencoded before Base64, as
// RFC 6749 §2.3.1 says and Spring does), the JWK Set from `jwk-set-uri`, the ID token checks Spring's
// OidcIdTokenValidator makes, and the userinfo call of OidcUserService.
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

// spring.security.oauth2.client.registration.loyalty.redirect-uri default: {baseUrl}/login/oauth2/code/{registrationId}
const REDIRECT = 'http://127.0.0.1:9/login/oauth2/code/loyalty';
const b64url = (bytes: Buffer) => bytes.toString('base64url');

describe.each(STORES)('recipe: Spring Security (%s)', (store) => {
  const fx = useMemberServer(store);

  async function signIn(withPkce: boolean) {
    const registered = await adminCreate(fx.server, 'clients', { client_name: 'Spring shop', redirect_uris: [REDIRECT], scope: 'openid profile email' });
    // issuer-uri: Spring reads the discovery document at startup.
    const discovery = (await (await fetch(`${fx.server.url}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery.issuer).toBe(fx.server.url);

    const state = b64url(randomBytes(32));
    const rawNonce = b64url(randomBytes(32));
    const nonce = b64url(createHash('sha256').update(rawNonce).digest());
    const verifier = b64url(randomBytes(64));
    const authorize = new URL(discovery.authorization_endpoint!);
    authorize.search = new URLSearchParams({
      response_type: 'code', client_id: registered.client_id, scope: 'openid profile email', state, redirect_uri: REDIRECT, nonce,
      ...(withPkce ? { code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256' } : {}),
    }).toString();
    const { callbackUrl, email } = await memberSignsUpThrough(fx, authorize.href);
    const callback = new URL(callbackUrl);
    expect(callback.searchParams.get('state')).toBe(state);

    const basic = Buffer.from(`${encodeURIComponent(registered.client_id)}:${encodeURIComponent(registered.client_secret!)}`).toString('base64');
    const tokenResponse = await fetch(discovery.token_endpoint!, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json;charset=UTF-8' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, ...(withPkce ? { code_verifier: verifier } : {}) }),
    });
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { access_token: string; id_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');

    // jwk-set-uri + OidcIdTokenValidator: iss, aud, azp, exp/iat, nonce.
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(discovery.jwks_uri!)), { issuer: fx.server.url, audience: registered.client_id });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.nonce).toBe(nonce);

    const userinfo = await fetch(discovery.userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: payload.sub, email, email_verified: true });
  }

  test('authorization code with client_secret_basic, ID token checked against jwk-set-uri, userinfo', async () => {
    await signIn(false);
  });

  test('the same with PKCE (OAuth2AuthorizationRequestCustomizers.withPkce())', async () => {
    await signIn(true);
  });
});
