// Admin API, who may call it: only a live client-credentials token with `admin`, of a client still allowed `admin`.
import { Buffer } from 'node:buffer';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';
import { adminCaller, clientCredentials, serviceClient } from './admin-api.ts';

const INVALID_TOKEN = /^Bearer .*error="invalid_token"/;

/** A JWT-shaped string that looks like an expired admin token; ours are opaque, so it is simply unknown. */
function expiredLookingJwt(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const past = Math.floor(Date.now() / 1000) - 3600;
  return `${part({ alg: 'RS256', typ: 'at+jwt' })}.${part({ sub: ADMIN_CLIENT_ID, client_id: ADMIN_CLIENT_ID, scope: 'admin', iat: past - 600, exp: past })}.${Buffer.from('sig').toString('base64url')}`;
}

describe.each(STORES)('admin API: authorization (%s)', (store) => {
  let sink: SmtpSink;
  let server: TestServer;
  let token: string;
  const logLines: string[] = [];
  const call = adminCaller(() => server, () => token);
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store, env: { SMTP_URL: sink.url }, logDestination: { write: (line) => void logLines.push(line) } });
    token = await server.adminToken();
  });
  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('the admin token works, whatever the case of the scheme name', async () => {
    expect((await call('GET', '/admin/clients')).status).toBe(200);
    expect((await call('GET', '/admin/clients', undefined, { authorization: `bearer ${token}` })).status).toBe(200);
  });

  test.each([
    ['no Authorization header', ''],
    ['the scheme alone', 'Bearer'],
    ['an empty token', 'Bearer '],
    ['a garbage token', 'Bearer not-a-token'],
    ['an absurdly long token', `Bearer ${'x'.repeat(600)}`],
    ['Basic credentials of the admin client', `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`],
    ['an expired-looking JWT', `Bearer ${expiredLookingJwt()}`],
    ['two tokens', 'Bearer abc def'],
  ])('%s is 401 with a Bearer invalid_token challenge', async (_name, authorization) => {
    const result = await call('GET', '/admin/clients', undefined, { authorization });
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(INVALID_TOKEN);
    expect(result.body).toMatchObject({ error: 'unauthorized', error_description: expect.any(String) });
  });

  test('an admin token in the query string instead of the header is 401', async () => {
    const result = await call('GET', `/admin/clients?access_token=${token}`, undefined, { authorization: '' });
    expect(result.status).toBe(401);
  });

  test('an expired client-credentials token with the admin scope is 401', async () => {
    const { provider } = server.container;
    const client = await provider.Client.find(ADMIN_CLIENT_ID);
    const expiring = await new provider.ClientCredentials({ client: client!, scope: 'admin', expiresIn: 1 }).save();
    expect((await call('GET', '/admin/clients', undefined, bearer(expiring))).status).toBe(200);
    await sleep(2100);
    const result = await call('GET', '/admin/clients', undefined, bearer(expiring));
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(INVALID_TOKEN);
  });

  test('a revoked admin token is 401', async () => {
    const revocable = await server.adminToken();
    expect((await call('GET', '/admin/clients', undefined, bearer(revocable))).status).toBe(200);
    const revoked = await fetch(`${server.url}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revocable }),
    });
    expect(revoked.status).toBe(200);
    expect((await call('GET', '/admin/clients', undefined, bearer(revocable))).status).toBe(401);
  });

  test('a member\'s access token from the code flow is 401', async () => {
    const client = await registerClient(server, { first_party: true });
    const config = await discover(server, client);
    const email = uniqueEmail('admin-auth');
    const signUp = new UserAgent(server.url);
    await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(config)).url), sink, email);
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config, { scope: 'openid email' });
    const done = await signIn(ua, await openLoginPage(ua, request.url), email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(config, done.url, request);

    const result = await call('GET', '/admin/clients', undefined, bearer(tokens.access_token));
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(INVALID_TOKEN);
  });

  test('a user access token is 401 even if it names the admin client and carries the admin scope', async () => {
    // Defends the token-kind check: only ClientCredentials tokens are looked at, never AccessTokens.
    const { provider } = server.container;
    const client = await provider.Client.find(ADMIN_CLIENT_ID);
    const userToken = await new provider.AccessToken({ client: client!, accountId: 'member-1', grantId: 'grant-1', gty: 'authorization_code', scope: 'openid admin' }).save();
    expect((await call('GET', '/admin/clients', undefined, bearer(userToken))).status).toBe(401);
  });

  test('a client-credentials token of a client without the admin scope is 403 insufficient_scope', async () => {
    const created = await call('POST', '/admin/clients', serviceClient);
    expect(created.status).toBe(201);
    for (const scope of ['', 'email']) {
      const other = await clientCredentials(server, created.body!.client_id!, created.body!.client_secret!, scope);
      expect(other.status).toBe(200);
      // The client cannot even ask for `admin`: it is not among its registered scopes.
      const result = await call('GET', '/admin/clients', undefined, bearer(other.body.access_token!));
      expect(result.status).toBe(403);
      expect(result.headers.get('www-authenticate')).toMatch(/^Bearer .*error="insufficient_scope"/);
      expect(result.body!.error).toBe('forbidden');
    }
    expect((await clientCredentials(server, created.body!.client_id!, created.body!.client_secret!, 'admin')).body.error).toBe('invalid_scope');
  });

  test('the admin client\'s own token without the admin scope is 403', async () => {
    const plain = await clientCredentials(server, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET);
    expect(plain.status).toBe(200);
    expect((await call('GET', '/admin/clients', undefined, bearer(plain.body.access_token!))).status).toBe(403);
  });

  test('an admin token stops working once its client is deleted (401) or loses the admin scope (403)', async () => {
    // A second admin client can only come from the store (the API refuses `admin`), as an operator would do.
    const clients = server.container.storage.clients;
    const secret = 'second-admin-secret-0123456789abcdef';
    const admin = { client_id: `second-admin-${store}`, client_secret: secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'admin', token_endpoint_auth_method: 'client_secret_basic' };
    await clients.create(admin);
    const issued = await clientCredentials(server, admin.client_id, secret, 'admin');
    expect((await call('GET', '/admin/clients', undefined, bearer(issued.body.access_token!))).status).toBe(200);

    await clients.replace({ ...admin, scope: 'email' });
    expect((await call('GET', '/admin/clients', undefined, bearer(issued.body.access_token!))).status).toBe(403);

    await clients.delete(admin.client_id);
    const gone = await call('GET', '/admin/clients', undefined, bearer(issued.body.access_token!));
    expect(gone.status).toBe(401);
    expect(gone.headers.get('www-authenticate')).toMatch(INVALID_TOKEN);
  });

  test('authorization is checked before the body is read', async () => {
    const result = await call('POST', '/admin/clients', '{broken', { authorization: 'Bearer nope' });
    expect(result.status).toBe(401);
  });

  test('no token, secret or Authorization header value ever reaches the logs', async () => {
    const created = await call('POST', '/admin/clients', serviceClient);
    const rotated = await call('POST', `/admin/clients/${created.body!.client_id}/secret`);
    await call('GET', '/admin/clients', undefined, bearer('not-a-token-but-still-secret'));
    const logs = logLines.join('\n');
    expect(logs).toContain('admin action');
    for (const secret of [token, created.body!.client_secret!, rotated.body!.client_secret!, 'not-a-token-but-still-secret', ADMIN_CLIENT_SECRET]) {
      expect(logs).not.toContain(secret);
    }
  });
});
