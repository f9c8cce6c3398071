// Recipe "oidc-client-ts" (docs/partners.md): a single-page app (public client, PKCE, no secret) signs a
// member in with oidc-client-ts 3. Run in Node with its in-memory storage in place of the browser's: the
// protocol exchange (discovery, PKCE, code → tokens from the browser's side, ID token checks, userinfo merge,
// logout URL) is the library's own code either way.
import { InMemoryWebStorage, OidcClient, WebStorageStateStore } from 'oidc-client-ts';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const APP = 'http://127.0.0.1:9';

describe.each(STORES)('recipe: oidc-client-ts (%s)', (store) => {
  const fx = useMemberServer(store);

  test('a public SPA client signs in with code + PKCE, gets the profile with userinfo merged, and builds the logout URL', async () => {
    const registered = await adminCreate(fx.server, 'clients', {
      client_name: 'Shop SPA',
      token_endpoint_auth_method: 'none',
      redirect_uris: [`${APP}/callback`],
      post_logout_redirect_uris: [`${APP}/`],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid email profile offline_access',
    });
    expect(registered.client_secret).toBeUndefined();

    const oidcClient = new OidcClient({
      authority: fx.server.url,
      client_id: registered.client_id,
      redirect_uri: `${APP}/callback`,
      post_logout_redirect_uri: `${APP}/`,
      response_type: 'code',
      scope: 'openid email',
      loadUserInfo: true,
      stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    });
    const request = await oidcClient.createSigninRequest({ state: { returnTo: '/basket' } });
    const authorize = new URL(request.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    const { callbackUrl, email } = await memberSignsUpThrough(fx, request.url);
    const response = await oidcClient.processSigninResponse(callbackUrl);
    expect(response.access_token).toBeTruthy();
    expect(response.userState).toEqual({ returnTo: '/basket' });
    expect(response.profile).toMatchObject({ iss: fx.server.url, aud: registered.client_id, email, email_verified: true });

    const signout = await oidcClient.createSignoutRequest({ id_token_hint: response.id_token! });
    expect(signout.url.startsWith(`${fx.server.url}/session/end?`)).toBe(true);
  });
});
