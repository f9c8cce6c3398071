// Discovery advertises exactly the response types a client can register (issue 14 item 16): no implicit
// or hybrid types, and `none` only for the built-in account console, which is not advertised.
import { adminCaller } from '../admin/admin-api.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';

describe.each(STORES)('discovery and registration agree on response types (%s)', (store) => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ store });
    token = await server.adminToken();
  });

  afterAll(async () => {
    await server?.close();
  });

  const admin = () => adminCaller(() => server, () => token);
  const register = (responseTypes: string[]) => admin()('POST', '/admin/clients', {
    client_name: 'Response types',
    redirect_uris: ['https://rp.example/callback'],
    grant_types: ['authorization_code'],
    response_types: responseTypes,
  });

  async function advertised(): Promise<string[]> {
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { response_types_supported: string[] };
    return metadata.response_types_supported;
  }

  test('discovery lists only code', async () => {
    expect(await advertised()).toEqual(['code']);
  });

  test('every advertised response type can be registered', async () => {
    for (const type of await advertised()) {
      const response = await register([type]);
      expect(response.status).toBe(201);
      expect(response.body?.response_types).toEqual([type]);
    }
  });

  test.each(['none', 'id_token', 'code id_token', 'token', 'code token'])('%s is neither advertised nor accepted at registration', async (type) => {
    expect(await advertised()).not.toContain(type);
    const response = await register([type]);
    expect(response.status).toBe(400);
  });

  test('an implicit or hybrid authorization request is refused as unsupported', async () => {
    const created = await register(['code']);
    const authorize = new URL(`${server.url}/auth`);
    authorize.search = new URLSearchParams({ client_id: created.body!.client_id!, response_type: 'id_token', redirect_uri: 'https://rp.example/callback', scope: 'openid', nonce: 'n' }).toString();
    const response = await fetch(authorize, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? 'https://none.invalid/');
    const error = location.searchParams.get('error') ?? new URLSearchParams(location.hash.slice(1)).get('error');
    expect(error).toBe('unsupported_response_type');
  });
});
