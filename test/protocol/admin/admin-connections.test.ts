// Admin API, connections: an upstream OpenID provider is discovered at creation, listed, read, patched and deleted, its secret never shown.
import { generateKeyPairSync } from 'node:crypto';
import { STORES } from '../../support/test-server.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../../support/upstream-idp.ts';
import { useAdminServer, type AdminResponse } from './admin-api.ts';

interface ConnectionBody {
  id: string;
  kind: string;
  name: string;
  issuer: string;
  client_id: string;
  has_client_secret: boolean;
  scopes: string[];
  claim_mapping: Record<string, string>;
  trusted_email: boolean;
  trusted_mfa: boolean;
  domains: string[];
  redirect_uri: string;
  created_at: string;
  updated_at: string;
}

const body = (response: AdminResponse) => response.body as unknown as ConnectionBody;

describe.each(STORES)('admin API: managing connections (%s)', (store) => {
  const admin = useAdminServer(store);
  const { call } = admin;
  let upstream: UpstreamIdp;
  let enterprise: UpstreamIdp;

  beforeAll(async () => {
    upstream = await startUpstreamIdp();
    enterprise = await startUpstreamIdp();
  });
  afterAll(async () => {
    await upstream?.close();
    await enterprise?.close();
  });

  const google = () => ({ kind: 'oidc', name: 'Google', issuer: upstream.issuer, client_id: 'our-id-at-google', client_secret: 'upstream-secret-123', scopes: ['openid', 'email', 'profile'] });

  test('create answers the id and the callback to register; read and list never show the secret', async () => {
    const created = await call('POST', '/admin/connections', google());
    expect(created.status).toBe(201);
    const connection = body(created);
    expect(connection.id).toBeTruthy();
    expect(created.headers.get('location')).toBe(`/admin/connections/${connection.id}`);
    expect(connection).toMatchObject({
      kind: 'oidc', name: 'Google', issuer: upstream.issuer, client_id: 'our-id-at-google', has_client_secret: true,
      scopes: ['openid', 'email', 'profile'], claim_mapping: {}, trusted_email: false, trusted_mfa: false, domains: [],
      redirect_uri: `${admin.server.url}/connections/${connection.id}/callback`,
    });
    expect(JSON.stringify(created.body)).not.toContain('upstream-secret-123');

    const read = await call('GET', `/admin/connections/${connection.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(JSON.stringify(read.body)).not.toContain('upstream-secret-123');

    const listed = await call('GET', '/admin/connections?limit=100');
    expect(listed.status).toBe(200);
    const items = listed.body!.items as unknown as ConnectionBody[];
    expect(items.map((item) => item.id)).toContain(connection.id);
    expect(JSON.stringify(listed.body)).not.toContain('upstream-secret-123');
  });

  test('the client secret is sealed at rest: the stored row does not hold it, and the store opens it for sign-in', async () => {
    const created = body(await call('POST', '/admin/connections', { ...google(), client_secret: 'sealed-secret-456' }));
    const storage = admin.server.container.storage;
    const stored = await storage.connections.find(created.id);
    expect(stored!.settings.client_secret).toBe('sealed-secret-456');
    // Below the sealing layer: what a copy of the store holds.
    const inner = (storage.connections as unknown as { inner?: typeof storage.connections }).inner;
    expect(inner).toBeDefined();
    const raw = await inner!.find(created.id);
    expect(JSON.stringify(raw)).not.toContain('sealed-secret-456');
    expect(raw!.settings.client_secret_sealed).toEqual(expect.stringMatching(/^v1\./));
  });

  test('an apple private key is sealed at rest like a client secret, and never answered', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const created = await call('POST', '/admin/connections', { kind: 'apple', issuer: upstream.issuer, client_id: 'com.example.web', team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: pem });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'apple', has_private_key: true, team_id: 'TEAM123456' });
    expect(JSON.stringify(created.body)).not.toContain('PRIVATE KEY');
    const storage = admin.server.container.storage;
    const id = body(created).id;
    expect((await storage.connections.find(id))!.settings.private_key).toBe(pem);
    const raw = await (storage.connections as unknown as { inner: typeof storage.connections }).inner.find(id);
    expect(JSON.stringify(raw)).not.toContain('PRIVATE KEY');
    expect(raw!.settings.private_key_sealed).toEqual(expect.stringMatching(/^v1\./));
  });

  test('patch changes the fields given, keeps the rest, removes the secret with null; delete makes it a 404', async () => {
    const connection = body(await call('POST', '/admin/connections', { ...google(), name: 'Partner SSO', issuer: enterprise.issuer }));
    const patched = await call('PATCH', `/admin/connections/${connection.id}`, {
      name: 'Partner staff', domains: ['Partner.Example', 'staff.partner.example'], trusted_email: true, trusted_mfa: true,
      claim_mapping: { given_name: 'given_name', 'address.postal_code': 'postal_code' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: connection.id, name: 'Partner staff', issuer: enterprise.issuer, client_id: 'our-id-at-google', has_client_secret: true,
      domains: ['partner.example', 'staff.partner.example'], trusted_email: true, trusted_mfa: true,
      claim_mapping: { given_name: 'given_name', 'address.postal_code': 'postal_code' },
    });
    expect((await call('GET', `/admin/connections/${connection.id}`)).body).toEqual(patched.body);

    const noSecret = await call('PATCH', `/admin/connections/${connection.id}`, { client_secret: null });
    expect(body(noSecret).has_client_secret).toBe(false);

    const moved = await call('PATCH', `/admin/connections/${connection.id}`, { issuer: upstream.issuer });
    expect(moved.status).toBe(200);
    expect(body(moved).issuer).toBe(upstream.issuer);

    expect((await call('DELETE', `/admin/connections/${connection.id}`)).status).toBe(204);
    expect((await call('GET', `/admin/connections/${connection.id}`)).status).toBe(404);
    expect((await call('DELETE', `/admin/connections/${connection.id}`)).status).toBe(404);
    expect((await call('PATCH', `/admin/connections/${connection.id}`, { name: 'x' })).status).toBe(404);
  });

  test('one email domain routes to one connection', async () => {
    const first = await call('POST', '/admin/connections', { ...google(), name: 'Acme', domains: [`acme-${store}.example`] });
    expect(first.status).toBe(201);
    const second = await call('POST', '/admin/connections', { ...google(), name: 'Acme again', domains: [`ACME-${store}.example`] });
    expect(second.status).toBe(409);
    expect(second.body!.details!.fields.domains).toMatch(/already routes/);
    const other = body(await call('POST', '/admin/connections', { ...google(), name: 'Other' }));
    const patched = await call('PATCH', `/admin/connections/${other.id}`, { domains: [`acme-${store}.example`] });
    expect(patched.status).toBe(409);
    // Its own domains again is no conflict.
    expect((await call('PATCH', `/admin/connections/${body(first).id}`, { domains: [`acme-${store}.example`] })).status).toBe(200);
  });

  test('a client narrows the connections it shows with its connections metadata', async () => {
    const created = await call('POST', '/admin/clients', { client_name: 'Shop', redirect_uris: ['https://shop.example/cb'], connections: ['abc-123'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ connections: ['abc-123'] });
    const refused = await call('POST', '/admin/clients', { client_name: 'Shop', redirect_uris: ['https://shop.example/cb'], connections: ['not an id'] });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body!.details!.fields)).toEqual(['connections.0']);
  });

  test('kind google presets the name and Google\'s issuer (which a test server lets a test point at its local upstream)', async () => {
    const created = await call('POST', '/admin/connections', { kind: 'google', client_id: 'ours-at-google', client_secret: 'shh', issuer: upstream.issuer });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'google', name: 'Google', issuer: upstream.issuer, has_client_secret: true, scopes: ['openid', 'email', 'profile'] });
  });

  test('without the admin token nothing is created or read', async () => {
    expect((await call('POST', '/admin/connections', google(), { authorization: '' })).status).toBe(401);
    expect((await call('GET', '/admin/connections', undefined, { authorization: '' })).status).toBe(401);
  });
});
