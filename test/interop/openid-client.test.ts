// Recipe "openid-client" (docs/partners.md): a confidential web client registered with the admin API signs a
// member in with openid-client 6 (discovery, authorization code + PKCE, client_secret_basic), reads userinfo,
// refreshes, and builds the RP-initiated logout URL.
import * as client from 'openid-client';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const REDIRECT = 'http://127.0.0.1:9/auth/callback';

describe.each(STORES)('recipe: openid-client (%s)', (store) => {
  const fx = useMemberServer(store);

  test('signs a member in with code + PKCE, reads userinfo, refreshes and signs out', async () => {
    const registered = await adminCreate(fx.server, 'clients', {
      client_name: 'Shoe shop',
      redirect_uris: [REDIRECT],
      post_logout_redirect_uris: ['http://127.0.0.1:9/'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid email profile offline_access',
    });
    // The guide's code, as a partner writes it (allowInsecureRequests only because this issuer is http://127.0.0.1).
    const config = await client.discovery(new URL(fx.server.url), registered.client_id, registered.client_secret, client.ClientSecretBasic(registered.client_secret), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email offline_access',
      prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });

    const { callbackUrl, email } = await memberSignsUpThrough(fx, url.href);
    const tokens = await client.authorizationCodeGrant(config, new URL(callbackUrl), { pkceCodeVerifier: verifier, expectedState: state });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(fx.server.url);
    expect(claims.aud).toBe(registered.client_id);
    expect(claims.acr).toMatch(/^urn:loyalty:loa:/);

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, email, email_verified: true });

    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // Rotation: the new refresh token replaces the old one.
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const logout = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/' });
    expect(logout.href.startsWith(`${fx.server.url}/session/end?`)).toBe(true);
  });
});
