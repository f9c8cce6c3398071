// A browser app built on oidc-client-ts revokes its tokens at sign-out: revokeTokens() must succeed
// (it refused the old empty text/plain answer) and the tokens must be dead afterwards (RFC 7009).
import { InMemoryWebStorage, User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';

describe.each(STORES)('revocation with oidc-client-ts (%s)', (store) => {
  const fx = useMemberServer(store);

  /** A single-page app (public client) signs a new member in and holds an access and a refresh token. */
  async function spaTokens() {
    const spa = await registerClient(fx.server, { token_endpoint_auth_method: 'none', scope: 'openid email offline_access' });
    const config = await discover(fx.server, spa);
    const ua = new UserAgent(fx.server.url);
    const email = uniqueEmail('spa');
    const request = await authorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const done = await signIn(ua, await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email), email);
    const tokens = await exchange(config, done.url, request);
    return { spa, config, tokens };
  }

  test('revokeTokens() resolves, and the access and refresh tokens stop working', async () => {
    const { spa, tokens } = await spaTokens();
    expect(tokens.refresh_token).toBeTruthy();
    const manager = new UserManager({
      authority: fx.server.url,
      client_id: spa.clientId,
      redirect_uri: REDIRECT_URI,
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      // Node has no frames or windows: no silent renew, no session monitor, no expiry timers.
      automaticSilentRenew: false,
      monitorSession: false,
    });
    await manager.storeUser(new User({
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      id_token: tokens.id_token,
      token_type: tokens.token_type,
      scope: tokens.scope,
      profile: tokens.claims()! as unknown as ConstructorParameters<typeof User>[0]['profile'],
      expires_at: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 600),
    }));
    await expect(manager.revokeTokens(['access_token', 'refresh_token'])).resolves.toBeUndefined();
    // As an app signing out does; it also stops the library's token-expiry timers.
    await manager.removeUser();

    const userinfo = await fetch(`${fx.server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    const refresh = await fetch(`${fx.server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: spa.clientId }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });

  test('the answer is 200 with a JSON body, also for an unknown token (RFC 7009 §2.2)', async () => {
    const { spa } = await spaTokens();
    const response = await fetch(`${fx.server.url}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'not-a-token', client_id: spa.clientId }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({});
  });
});
