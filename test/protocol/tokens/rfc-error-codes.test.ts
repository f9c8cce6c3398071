// RFC 6749 errors: a grant or response type the client did not register is unauthorized_client, and a
// client authenticates only with the token_endpoint_auth_method it registered (basic and post apart).
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { discover, oidc, REDIRECT_URI, registerClient, type RegisteredClient } from '../../support/oidc-client.ts';

type Endpoint = 'token' | 'introspection' | 'revocation' | 'par';

describe.each(STORES)('RFC 6749 error codes and registered client authentication (%s)', (store) => {
  let server: TestServer;
  let meta: oidc.ServerMetadata;

  beforeAll(async () => {
    server = await startTestServer({ store });
    meta = (await discover(server, await registerClient(server))).serverMetadata();
  });

  afterAll(async () => {
    await server?.close();
  });

  const url = (endpoint: Endpoint) => ({
    token: meta.token_endpoint!,
    introspection: meta.introspection_endpoint!,
    revocation: meta.revocation_endpoint!,
    par: meta.pushed_authorization_request_endpoint!,
  })[endpoint];

  function basic(client: RegisteredClient): Record<string, string> {
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    return { authorization: `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret!)}`).toString('base64')}` };
  }

  async function post(endpoint: Endpoint, params: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(url(endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams(params),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as { error?: string; error_description?: string } };
  }

  /** A representative request body per endpoint (its content does not matter when authentication fails). */
  const requestFor = (client: RegisteredClient): Record<Endpoint, Record<string, string>> => ({
    token: { grant_type: 'client_credentials', scope: 'email' },
    introspection: { token: 'not-a-token' },
    revocation: { token: 'not-a-token' },
    par: { client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' },
  });

  const credentialsClient = (method: 'client_secret_basic' | 'client_secret_post') => registerClient(server, {
    token_endpoint_auth_method: method,
    grant_types: ['client_credentials', 'authorization_code'],
    response_types: ['code'],
    scope: 'openid email',
  });

  test('a grant type the client did not register is unauthorized_client at the token endpoint', async () => {
    const client = await registerClient(server, { grant_types: ['authorization_code'], scope: 'openid email' });
    const response = await post('token', { grant_type: 'client_credentials', scope: 'email' }, basic(client));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unauthorized_client');
    // openid-client surfaces the same code to the relying party.
    const config = await discover(server, client);
    await expect(oidc.clientCredentialsGrant(config, { scope: 'email' })).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  test('the device grant for a client without it is unauthorized_client', async () => {
    const client = await registerClient(server, { grant_types: ['authorization_code'], scope: 'openid email' });
    const response = await fetch(meta.device_authorization_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(client) },
      body: new URLSearchParams({ scope: 'openid' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('unauthorized_client');
  });

  test('a response type the client did not register is unauthorized_client, on the redirect and at PAR', async () => {
    const client = await registerClient(server, { grant_types: ['client_credentials'], response_types: [], scope: 'openid email' });
    const authorize = new URL(meta.authorization_endpoint!);
    authorize.search = new URLSearchParams({
      client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st4te',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(authorize, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('unauthorized_client');
    expect(location.searchParams.get('state')).toBe('st4te');
    const pushed = await post('par', requestFor(client).par, basic(client));
    expect(pushed.status).toBe(400);
    expect(pushed.body.error).toBe('unauthorized_client');
  });

  test('a malformed request is still invalid_request (only the unregistered-type cases changed)', async () => {
    const client = await credentialsClient('client_secret_basic');
    const response = await post('token', { grant_type: 'authorization_code' }, basic(client));
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
  });

  test.each<Endpoint>(['token', 'introspection', 'revocation', 'par'])('a client_secret_basic client cannot authenticate with client_secret_post at %s', async (endpoint) => {
    const client = await credentialsClient('client_secret_basic');
    const refused = await post(endpoint, { ...requestFor(client)[endpoint], client_id: client.clientId, client_secret: client.clientSecret! });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    const accepted = await post(endpoint, requestFor(client)[endpoint], basic(client));
    expect(accepted.body.error).toBeUndefined();
    expect(accepted.status).toBeLessThan(300);
  });

  test.each<Endpoint>(['token', 'introspection', 'revocation', 'par'])('a client_secret_post client cannot authenticate with client_secret_basic at %s', async (endpoint) => {
    const client = await credentialsClient('client_secret_post');
    const refused = await post(endpoint, requestFor(client)[endpoint], basic(client));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    const accepted = await post(endpoint, { ...requestFor(client)[endpoint], client_id: client.clientId, client_secret: client.clientSecret! });
    expect(accepted.body.error).toBeUndefined();
    expect(accepted.status).toBeLessThan(300);
  });

  test('the refusal reads exactly like a wrong secret (nothing tells the caller which check failed)', async () => {
    const client = await credentialsClient('client_secret_basic');
    const wrongMethod = await post('token', { ...requestFor(client).token, client_id: client.clientId, client_secret: client.clientSecret! });
    const wrongSecret = await post('token', requestFor(client).token, basic({ ...client, clientSecret: 'not-the-secret' }));
    expect(wrongMethod).toEqual(wrongSecret);
  });
});
