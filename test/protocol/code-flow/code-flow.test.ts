// Authorization code + PKCE with openid-client as the relying party: happy path and the ways it must fail.
import { oauthError } from '../../support/oauth-error.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient, type RegisteredClient } from '../../support/oidc-client.ts';

describe.each(STORES)('authorization code flow (%s)', (store) => {
  let sink: SmtpSink;
  let server: TestServer;
  let client: RegisteredClient;
  let config: oidc.Configuration;
  const email = uniqueEmail('code');

  /** Signs the member in through the hosted pages and returns the callback URL with the code. */
  async function authorize(params: Record<string, string> = {}, ua = new UserAgent(server.url)) {
    const request = await authorizationRequest(config, params);
    const login = await openLoginPage(ua, request.url);
    const done = await signIn(ua, login, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    return { request, callback: done.url, ua };
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store, env: { SMTP_URL: sink.url } });
    client = await registerClient(server, { first_party: true });
    config = await discover(server, client);
    const ua = new UserAgent(server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(config)).url);
    await signUpAndVerify(ua, login, sink, email);
  });

  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('discovery advertises the endpoints, S256 only, and our acr values', async () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.url);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.acr_values_supported).toEqual(expect.arrayContaining(['urn:loyalty:loa:1', 'urn:loyalty:loa:2', 'urn:loyalty:loa:phr']));
    expect(metadata.subject_types_supported).toEqual(expect.arrayContaining(['public', 'pairwise']));
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256', 'EdDSA']));
    for (const endpoint of ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'device_authorization_endpoint', 'end_session_endpoint', 'pushed_authorization_request_endpoint', 'jwks_uri'] as const) {
      expect(metadata[endpoint]).toMatch(/^http:\/\/127\.0\.0\.1/);
    }
    const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: { alg: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });

  test('code + PKCE gives an RS256 ID token with acr/amr, userinfo and a refresh token', async () => {
    const { request, callback } = await authorize({ scope: 'openid email offline_access', prompt: 'consent' });
    const tokens = await exchange(config, callback, request);
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(server.url);
    expect(claims.aud).toBe(client.clientId);
    expect(claims.acr).toBe('urn:loyalty:loa:1');
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe('RS256');
    expect(tokens.refresh_token).toBeTruthy();
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo.email).toBe(email);
    expect(userinfo.email_verified).toBe(true);
  });

  test('a wrong code_verifier is refused', async () => {
    const { request, callback } = await authorize();
    await expect(exchange(config, callback, request, oidc.randomPKCECodeVerifier())).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a public client must use PKCE', async () => {
    const publicClient = await registerClient(server, { token_endpoint_auth_method: 'none', application_type: 'native', first_party: true });
    const publicConfig = await discover(server, publicClient);
    const url = oidc.buildAuthorizationUrl(publicConfig, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 'x' });
    const page = await new UserAgent(server.url).follow(url.href);
    const location = new URL(page.url);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  test('reusing an authorization code fails and revokes the tokens it issued', async () => {
    const { request, callback } = await authorize({ scope: 'openid email offline_access', prompt: 'consent' });
    const first = await exchange(config, callback, request);
    await expect(exchange(config, callback, request)).rejects.toMatchObject({ error: 'invalid_grant' });
    const introspection = await oidc.tokenIntrospection(config, first.access_token);
    expect(introspection.active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('refresh tokens rotate, and replaying a rotated one revokes the whole grant', async () => {
    const { request, callback } = await authorize({ scope: 'openid email offline_access', prompt: 'consent' });
    const first = await exchange(config, callback, request);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // The attacker replays the old one: refused, and the legitimate new one dies with the grant.
    await expect(oidc.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(false);
  });

  test('prompt=none without a session answers login_required at the redirect_uri', async () => {
    const request = await authorizationRequest(config, { prompt: 'none' });
    const page = await new UserAgent(server.url).follow(request.url);
    const location = new URL(page.url);
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe(request.state);
  });

  test('prompt=none with a session signs in silently', async () => {
    const { ua } = await authorize();
    const request = await authorizationRequest(config, { prompt: 'none' });
    const page = await ua.follow(request.url);
    expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
    const tokens = await exchange(config, page.url, request);
    expect(tokens.claims()!.acr).toBe('urn:loyalty:loa:1');
  });

  test('max_age older than the session asks for the password again', async () => {
    const { ua } = await authorize();
    await new Promise((r) => setTimeout(r, 1100));
    const request = await authorizationRequest(config, { max_age: '0' });
    const page = await ua.follow(request.url);
    expect(page.url).toContain('/interaction/');
    expect(page.body).toContain('name="password"');
    const done = await signIn(ua, page, email);
    const tokens = await exchange(config, done.url, request);
    expect(Math.floor(Date.now() / 1000) - (tokens.claims()!.auth_time as number)).toBeLessThan(5);
  });

  test('an unregistered or altered redirect_uri shows an error page and never redirects', async () => {
    for (const redirectUri of ['https://evil.example/callback', `${REDIRECT_URI}/extra`, `${REDIRECT_URI}?x=1`, REDIRECT_URI.replace('callback', 'CALLBACK')]) {
      const request = await authorizationRequest(config, { redirect_uri: redirectUri });
      const page = await new UserAgent(server.url).follow(request.url);
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      expect(page.body).not.toContain('evil.example');
      expect(page.body).not.toMatch(/redirect_uri/);
    }
  });

  test('client authentication failures are invalid_client', async () => {
    const wrongSecret = await discover(server, client, oidc.ClientSecretBasic('not-the-secret'));
    expect(await oauthError(oidc.clientCredentialsGrant(wrongSecret, { scope: 'openid' }))).toBe('invalid_client');
    const unknown = await discover(server, { ...client, clientId: 'no-such-client', metadata: { ...client.metadata, client_id: 'no-such-client' } });
    expect(await oauthError(oidc.refreshTokenGrant(unknown, 'whatever'))).toBe('invalid_client');
    const wrongPostSecret = await discover(server, client, oidc.ClientSecretPost('not-the-secret'));
    expect(await oauthError(oidc.refreshTokenGrant(wrongPostSecret, 'whatever'))).toBe('invalid_client');
    const noSecret = await discover(server, client, oidc.None());
    expect(await oauthError(oidc.refreshTokenGrant(noSecret, 'whatever'))).toBe('invalid_client');
  });

  test('introspection reports active tokens with their claims, and revocation ends them', async () => {
    const { request, callback } = await authorize({ scope: 'openid email offline_access', prompt: 'consent' });
    const tokens = await exchange(config, callback, request);
    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: client.clientId, sub: tokens.claims()!.sub });
    expect(active.scope).toContain('email');
    await oidc.tokenRevocation(config, tokens.access_token);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(config, 'garbage-token')).active).toBe(false);
  });

  test("another client can neither introspect nor revoke a member's tokens, and learns nothing of them", async () => {
    const { request, callback } = await authorize({ scope: 'openid email offline_access', prompt: 'consent' });
    const tokens = await exchange(config, callback, request);
    const other = await discover(server, await registerClient(server, { first_party: true }));
    for (const token of [tokens.access_token, tokens.refresh_token!]) {
      // The same answer as for a token that does not exist.
      expect(await oidc.tokenIntrospection(other, token)).toEqual({ active: false });
      await expect(oidc.tokenRevocation(other, token)).resolves.toBeUndefined();
    }
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: client.clientId });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).resolves.toMatchObject({ access_token: expect.any(String) });
  });
});
