// PAR, DPoP, JWT access tokens for resource indicators, pairwise subjects, the claims parameter, per-client ID token algorithms.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, registerClient, type RegisteredClient } from '../../support/oidc-client.ts';

const API = 'https://api.partner.example/';
/** A resource server that accepts only RS256 (listed in RS256_RESOURCES for this server). */
const RS256_API = 'https://legacy-api.partner.example/';

describe.each(STORES)('token features (%s)', (store) => {
  let sink: SmtpSink;
  let server: TestServer;
  const email = uniqueEmail('tokens');

  async function login(client: RegisteredClient, params: Record<string, string> = {}, options: { dpop?: oidc.DPoPHandle; par?: boolean } = {}) {
    const config = await discover(server, client);
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config, params);
    let url = request.url;
    if (options.par) {
      const plain = new URL(request.url);
      url = (await oidc.buildAuthorizationUrlWithPAR(config, Object.fromEntries(plain.searchParams))).href;
    }
    const done = await signIn(ua, await openLoginPage(ua, url), email);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    }, undefined, options.dpop ? { DPoP: options.dpop } : undefined);
    return { config, tokens, url };
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store, env: { SMTP_URL: sink.url, RS256_RESOURCES: RS256_API } });
    const client = await registerClient(server, { first_party: true });
    const config = await discover(server, client);
    const ua = new UserAgent(server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(config)).url), sink, email);
  });

  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('pushed authorization requests work and the front channel carries only a request_uri', async () => {
    const client = await registerClient(server, { first_party: true });
    const { tokens, url } = await login(client, {}, { par: true });
    expect(new URL(url).searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(new URL(url).searchParams.get('code_challenge')).toBeNull();
    expect(tokens.claims()!.sub).toBeTruthy();
  });

  test('DPoP binds the access token to the client key', async () => {
    const client = await registerClient(server, { first_party: true, token_endpoint_auth_method: 'none', application_type: 'native' });
    const dpop = oidc.getDPoPHandle(await discover(server, client), await oidc.randomDPoPKeyPair());
    const { config, tokens } = await login(client, {}, { dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP: dpop });
    expect(userinfo.email).toBe(email);
    // Presented as a plain bearer token it is refused.
    const bearer = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(bearer.status).toBe(401);
  });

  test('client credentials with a resource indicator give a JWT access token for that audience', async () => {
    const partner = await registerClient(server, {
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'email', allowed_resources: [API],
    });
    const config = await discover(server, partner);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'email', resource: API });
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: API });
    expect(protectedHeader.typ).toBe('at+jwt');
    // ES256 unless the resource server is listed as RS256-only: a P-256 signature costs a fraction of RSA-2048's.
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.client_id).toBe(partner.clientId);
    await expect(oidc.clientCredentialsGrant(config, { resource: 'https://not-allowed.example/' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  test('a resource server listed in RS256_RESOURCES gets RS256 access tokens, the others ES256', async () => {
    const partner = await registerClient(server, {
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'email', allowed_resources: [API, RS256_API],
    });
    const config = await discover(server, partner);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const legacy = await oidc.clientCredentialsGrant(config, { scope: 'email', resource: RS256_API });
    expect((await jwtVerify(legacy.access_token, jwks, { issuer: server.url, audience: RS256_API, algorithms: ['RS256'] })).protectedHeader.alg).toBe('RS256');
    const modern = await oidc.clientCredentialsGrant(config, { scope: 'email', resource: API });
    await expect(jwtVerify(modern.access_token, jwks, { issuer: server.url, audience: API, algorithms: ['RS256'] })).rejects.toThrow();
  });

  test('pairwise subjects differ per sector and stay stable for one sector', async () => {
    const a = await registerClient(server, { first_party: true, subject_type: 'pairwise', redirect_uris: ['http://127.0.0.1:9/callback'] });
    const b = await registerClient(server, { first_party: true, subject_type: 'pairwise', redirect_uris: ['http://localhost:9/callback'] });
    const publicClient = await registerClient(server, { first_party: true });
    const subA = (await login(a)).tokens.claims()!.sub;
    const subA2 = (await login(a)).tokens.claims()!.sub;
    const subB = (await login(b, { redirect_uri: 'http://localhost:9/callback' })).tokens.claims()!.sub;
    const subPublic = (await login(publicClient)).tokens.claims()!.sub;
    expect(subA).toBe(subA2);
    expect(subA).not.toBe(subB);
    expect(subA).not.toBe(subPublic);
    expect(subB).not.toBe(subPublic);
  });

  test('the claims parameter puts requested claims in the ID token', async () => {
    const client = await registerClient(server, { first_party: true });
    // Without the email scope the ID token has no email, unless the claims parameter asks for it.
    const plain = await login(client, { scope: 'openid' });
    expect(plain.tokens.claims()!.email).toBeUndefined();
    const asked = await login(client, { scope: 'openid', claims: JSON.stringify({ id_token: { email: null, email_verified: { essential: true } } }) });
    expect(asked.tokens.claims()!.email).toBe(email);
    expect(asked.tokens.claims()!.email_verified).toBe(true);
  });

  test.each(['ES256', 'EdDSA'])('a client can ask for %s-signed ID tokens', async (alg) => {
    const client = await registerClient(server, { first_party: true, id_token_signed_response_alg: alg });
    const { tokens } = await login(client);
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe(alg);
  });

  test('a third-party client shows the consent page once; the grant is remembered', async () => {
    const client = await registerClient(server, { client_name: 'Coffee Partner' });
    const config = await discover(server, client);
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    const afterLogin = await ua.submit(await openLoginPage(ua, request.url), '/login', { email, password: 'correct horse battery staple' });
    expect(afterLogin.status).toBe(200);
    expect(afterLogin.body).toContain('Coffee Partner');
    expect(afterLogin.body).toContain('/consent"');
    const done = await ua.submit(afterLogin, '/consent', { decision: 'allow' });
    const tokens = await exchange(config, done.url, request);
    expect(tokens.scope).toContain('email');
    // Second time: same scopes, no consent page.
    const again = await authorizationRequest(config);
    const page = await ua.follow(again.url);
    expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
  });

  test('denying consent returns access_denied to the client', async () => {
    const client = await registerClient(server, { client_name: 'Declined Partner' });
    const config = await discover(server, client);
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    const consent = await ua.submit(await openLoginPage(ua, request.url), '/login', { email, password: 'correct horse battery staple' });
    const denied = await ua.submit(consent, '/abort');
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied');
  });
});
