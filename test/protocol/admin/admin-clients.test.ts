// Admin API: client CRUD with validated metadata, secret rotation, and who may call it.
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';

/** The fields of admin API responses these tests read. */
interface AdminBody {
  client_id?: string;
  client_secret?: string;
  client_name?: string;
  redirect_uris?: string[];
  response_types?: string[];
  error?: string;
  details?: { fields: Record<string, string> };
  items?: ({ client_id: string } & Record<string, unknown>)[];
  next?: string | null;
}

describe.each(STORES)('admin API: clients (%s)', (store) => {
  let server: TestServer;
  let token: string;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as AdminBody) : undefined };
  }

  async function tokenFor(clientId: string, secret: string, scope = '') {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
    return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
  }

  const webClient = { client_name: 'Partner Shop', redirect_uris: ['https://shop.example/callback'], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid email offline_access' };

  beforeAll(async () => {
    server = await startTestServer({ store });
    token = await server.adminToken();
  });
  afterAll(async () => server?.close());

  test('create, read, list, replace and delete a client', async () => {
    const created = await call('POST', '/admin/clients', webClient);
    expect(created.status).toBe(201);
    const id = created.body!.client_id!;
    expect(created.headers.get('location')).toBe(`/admin/clients/${id}`);
    expect(created.body!.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.body!.response_types).toEqual(['code']);

    const read = await call('GET', `/admin/clients/${id}`);
    expect(read.status).toBe(200);
    expect(read.body!.client_secret).toBeUndefined();
    expect(read.body!.redirect_uris).toEqual(webClient.redirect_uris);

    const replaced = await call('PUT', `/admin/clients/${id}`, { ...webClient, client_name: 'Renamed Shop' });
    expect(replaced.status).toBe(200);
    expect(replaced.body!.client_name).toBe('Renamed Shop');
    expect((await server.container.storage.clients.find(id))!.metadata.client_secret).toBe(created.body!.client_secret);

    const listed = await call('GET', '/admin/clients?limit=100');
    expect(listed.body!.items!.map((c) => c.client_id)).toContain(id);
    expect(listed.body!.items!.every((c) => c.client_secret === undefined)).toBe(true);

    expect((await call('DELETE', `/admin/clients/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/clients/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/admin/clients/${id}`)).status).toBe(404);
  });

  test('listing pages through clients with a cursor', async () => {
    for (let i = 0; i < 3; i += 1) await call('POST', '/admin/clients', { ...webClient, client_id: `page-${store}-${i}` });
    const first = await call('GET', '/admin/clients?limit=2');
    expect(first.body!.items).toHaveLength(2);
    expect(first.body!.next).toBeTruthy();
    const second = await call('GET', `/admin/clients?limit=2&after=${encodeURIComponent(first.body!.next!)}`);
    const ids = [...first.body!.items!, ...second.body!.items!].map((c) => c.client_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await call('GET', '/admin/clients?limit=0')).status).toBe(400);
    expect((await call('GET', '/admin/clients?limit=abc')).status).toBe(400);
  });

  test.each([
    ['an empty body', {}, 'redirect_uris'],
    ['redirect_uris as a string', { ...webClient, redirect_uris: 'https://shop.example/cb' }, 'redirect_uris'],
    ['an unknown field', { ...webClient, is_admin: true }, 'is_admin'],
    ['an http redirect on a public host', { ...webClient, redirect_uris: ['http://shop.example/callback'] }, 'redirect_uris.0'],
    ['a fragment in the redirect', { ...webClient, redirect_uris: ['https://shop.example/callback#x'] }, 'redirect_uris.0'],
    ['a relative redirect', { ...webClient, redirect_uris: ['/callback'] }, 'redirect_uris.0'],
    ['a custom scheme on a web client', { ...webClient, redirect_uris: ['com.example.app:/callback'] }, 'redirect_uris.0'],
    ['the admin scope', { ...webClient, scope: 'openid admin' }, 'scope'],
    ['an unsupported grant type', { ...webClient, grant_types: ['password'] }, 'grant_types.0'],
    ['a wrong-typed flag', { ...webClient, first_party: 'yes' }, 'first_party'],
  ])('%s is refused with a field error', async (_name, body, field) => {
    const result = await call('POST', '/admin/clients', body);
    expect(result.status).toBe(400);
    expect(Object.keys(result.body!.details!.fields)).toContain(field);
  });

  test('native apps may use loopback and private-use redirect URIs', async () => {
    const result = await call('POST', '/admin/clients', {
      client_name: 'Member app', application_type: 'native', token_endpoint_auth_method: 'none',
      redirect_uris: ['com.loyalty.app:/oauth/callback', 'http://127.0.0.1:8080/callback'], grant_types: ['authorization_code', 'refresh_token'], scope: 'openid offline_access',
    });
    expect(result.status).toBe(201);
    expect(result.body!.client_secret).toBeUndefined();
  });

  test('oidc-provider rejects incoherent metadata that passes our schema', async () => {
    const result = await call('POST', '/admin/clients', { ...webClient, grant_types: ['client_credentials'], redirect_uris: [], response_types: ['code'] });
    expect(result.status).toBe(400);
    expect(result.body!.error).toBe('invalid_input');
  });

  test('wrong content type, broken JSON and a huge body each get their status', async () => {
    expect((await call('POST', '/admin/clients', 'client_name=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await call('POST', '/admin/clients', '{"client_name":')).status).toBe(400);
    expect((await call('POST', '/admin/clients', { ...webClient, client_name: 'x'.repeat(70 * 1024) })).status).toBe(413);
  });

  test('a duplicate client_id is a conflict', async () => {
    const body = { ...webClient, client_id: `dup-${store}` };
    expect((await call('POST', '/admin/clients', body)).status).toBe(201);
    expect((await call('POST', '/admin/clients', body)).status).toBe(409);
  });

  test('rotating the secret retires the old one at once; deleting retires the client', async () => {
    const created = await call('POST', '/admin/clients', { grant_types: ['client_credentials'], scope: 'email' });
    const id = created.body!.client_id!;
    const oldSecret = created.body!.client_secret!;
    expect((await tokenFor(id, oldSecret)).status).toBe(200);
    const rotated = await call('POST', `/admin/clients/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body!.client_secret).not.toBe(oldSecret);
    expect((await tokenFor(id, oldSecret)).body.error).toBe('invalid_client');
    expect((await tokenFor(id, rotated.body!.client_secret!)).status).toBe(200);
    await call('DELETE', `/admin/clients/${id}`);
    expect((await tokenFor(id, rotated.body!.client_secret!)).body.error).toBe('invalid_client');
  });

  test('the bootstrap admin client cannot be changed or deleted through the API', async () => {
    expect((await call('DELETE', '/admin/clients/test-admin')).status).toBe(409);
    expect((await call('POST', '/admin/clients/test-admin/secret')).status).toBe(409);
  });

  test('no token, a garbage token or a revoked token is 401 with a Bearer challenge', async () => {
    for (const authorization of ['', 'Bearer', 'Bearer not-a-token', 'Basic dGVzdDp0ZXN0', `Bearer ${'x'.repeat(600)}`]) {
      const result = await call('GET', '/admin/clients', undefined, { authorization });
      expect(result.status).toBe(401);
      expect(result.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    }
    const revocable = await server.adminToken();
    await fetch(`${server.url}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('test-admin:test-admin-secret-0123456789abcdef').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revocable }),
    });
    expect((await call('GET', '/admin/clients', undefined, { authorization: `Bearer ${revocable}` })).status).toBe(401);
  });

  test('a token of a client without the admin scope is 403', async () => {
    const created = await call('POST', '/admin/clients', { grant_types: ['client_credentials'], scope: 'email' });
    const other = await tokenFor(created.body!.client_id!, created.body!.client_secret!, 'email');
    const result = await call('GET', '/admin/clients', undefined, { authorization: `Bearer ${other.body.access_token}` });
    expect(result.status).toBe(403);
    expect(result.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  test('the OpenAPI document is public, 3.1, and lists every route', async () => {
    const response = await fetch(`${server.url}/admin/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual(['/clients', '/clients/{id}', '/clients/{id}/secret', '/openapi.json']);
    expect(Object.keys(document.paths['/clients/{id}']!)).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect((await call('GET', '/admin/nothing-here')).status).toBe(404);
  });
});
