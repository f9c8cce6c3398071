// Admin API, connections: a bad issuer, unreachable metadata or metadata naming another issuer is refused at creation with the field to fix, and nothing is stored.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STORES } from '../../support/test-server.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../../support/upstream-idp.ts';
import { useAdminServer } from './admin-api.ts';

/** A port nothing listens on: opened, noted, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(STORES)('admin API: refusing bad connections (%s)', (store) => {
  const admin = useAdminServer(store);
  const { call } = admin;
  let upstream: UpstreamIdp;

  beforeAll(async () => {
    upstream = await startUpstreamIdp();
  });
  afterAll(async () => upstream?.close());

  const input = (changes: Record<string, unknown>) => ({ kind: 'oidc', name: 'Enterprise', issuer: upstream.issuer, client_id: 'ours', client_secret: 's3cret', ...changes });

  async function expectRefused(changes: Record<string, unknown>, field: string, message: RegExp, status = 400) {
    const before = (await call('GET', '/admin/connections?limit=100')).body!.items!.length;
    const response = await call('POST', '/admin/connections', input(changes));
    expect([response.status, response.body!.error]).toEqual([status, status === 400 ? 'invalid_input' : expect.any(String)]);
    expect(response.body!.details!.fields[field]).toMatch(message);
    expect((await call('GET', '/admin/connections?limit=100')).body!.items!.length).toBe(before);
  }

  test('an issuer that is not a URL', async () => {
    await expectRefused({ issuer: 'accounts google com' }, 'issuer', /absolute https URL/);
  });

  test('an issuer with a query', async () => {
    await expectRefused({ issuer: `${upstream.issuer}?tenant=1` }, 'issuer', /no query/);
  });

  test('an issuer on a scheme the outbound client does not call', async () => {
    await expectRefused({ issuer: 'ftp://127.0.0.1/idp' }, 'issuer', /refused/);
  });

  test('an issuer on a private address is refused by the SSRF guard', async () => {
    await expectRefused({ issuer: 'http://10.0.0.7' }, 'issuer', /private|special-use/);
  });

  test('unreachable metadata', async () => {
    await expectRefused({ issuer: `http://127.0.0.1:${await closedPort()}` }, 'issuer', /unreachable/);
  });

  test('no discovery document at the issuer', async () => {
    await expectRefused({ issuer: `${upstream.issuer}/not-an-issuer` }, 'issuer', /HTTP 404/);
  });

  test('metadata naming another issuer (a mix-up in the making)', async () => {
    // Same server, but reached under another name: its document names 127.0.0.1, not localhost.
    await expectRefused({ issuer: `http://localhost:${upstream.port}` }, 'issuer', /names the issuer/);
  });

  test('scopes without openid, a wrong kind, unknown fields, a bad domain, a bad mapping', async () => {
    await expectRefused({ scopes: ['email'] }, 'scopes', /openid/);
    await expectRefused({ kind: 'ldap' }, 'kind', /./);
    await expectRefused({ colour: 'blue' }, 'colour', /unknown field/);
    await expectRefused({ domains: ['not a domain'] }, 'domains.0', /domain name/);
    await expectRefused({ claim_mapping: { 'Bad Field': 'x' } }, 'claim_mapping.Bad Field', /./);
    await expectRefused({ name: '' }, 'name', /empty/);
    await expectRefused({ client_id: undefined }, 'client_id', /./);
  });

  test('microsoft: a tenant that is neither a tenant id nor an alias, an issuer template without {tenantid}, a tenant on another kind', async () => {
    await expectRefused({ kind: 'microsoft', name: undefined, issuer: undefined, tenant: 'contoso' }, 'tenant', /tenant id \(GUID\) or common, organizations or consumers/);
    await expectRefused({ kind: 'microsoft', name: undefined, issuer: `${upstream.issuer}/v2.0` }, 'issuer', /\{tenantid\}/);
    await expectRefused({ tenant: 'common' }, 'tenant', /unknown field/);
  });

  test('apple: a private key that is not an EC P-256 PEM, bad team or key ids, a client secret typed in', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const apple = (changes: Record<string, unknown>) => ({ kind: 'apple', name: undefined, client_secret: undefined, team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: p256, ...changes });
    await expectRefused(apple({ private_key: rsa }), 'private_key', /EC P-256 private key/);
    await expectRefused(apple({ private_key: p384 }), 'private_key', /EC P-256 private key/);
    await expectRefused(apple({ private_key: 'not a key' }), 'private_key', /EC P-256 private key/);
    await expectRefused(apple({ team_id: 'team' }), 'team_id', /10-character/);
    await expectRefused(apple({ key_id: undefined }), 'key_id', /./);
    await expectRefused(apple({ client_secret: 's3cret' }), 'client_secret', /unknown field/);
  });

  test('facebook: no app secret, an issuer or trusted_mfa (Facebook has neither), a bad Graph version', async () => {
    const facebook = (changes: Record<string, unknown>) => ({ kind: 'facebook', name: undefined, issuer: undefined, client_id: '1234567890', client_secret: 'app-secret', ...changes });
    await expectRefused(facebook({ client_secret: undefined }), 'client_secret', /./);
    await expectRefused(facebook({ issuer: 'https://www.facebook.com' }), 'issuer', /unknown field/);
    await expectRefused(facebook({ trusted_mfa: true }), 'trusted_mfa', /unknown field/);
    await expectRefused(facebook({ graph_version: 'latest' }), 'graph_version', /Graph API version/);
  });

  test('a patch to a bad issuer is refused and the connection keeps its own', async () => {
    const created = await call('POST', '/admin/connections', input({}));
    expect(created.status).toBe(201);
    const id = (created.body as unknown as { id: string }).id;
    const patched = await call('PATCH', `/admin/connections/${id}`, { issuer: `http://localhost:${upstream.port}` });
    expect(patched.status).toBe(400);
    expect(patched.body!.details!.fields.issuer).toMatch(/names the issuer/);
    expect((await call('GET', `/admin/connections/${id}`)).body).toMatchObject({ issuer: upstream.issuer });
    expect((await call('PATCH', `/admin/connections/${id}`, { kind: 'oidc' })).status).toBe(400);
  });
});
