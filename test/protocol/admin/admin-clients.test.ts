// Admin API, happy paths: client CRUD, paging, secrets (issued once, kept on replace, rotated, gone on delete).
import { exportJWK, generateKeyPair } from 'jose';
import { STORES } from '../../support/test-server.ts';
import { clientCredentials, serviceClient, webClient, useAdminServer } from './admin-api.ts';

describe.each(STORES)('admin API: managing clients (%s)', (store) => {
  const admin = useAdminServer(store);
  const { call } = admin;

  test('create, read, list, replace and delete a client', async () => {
    const created = await call('POST', '/admin/clients', webClient);
    expect(created.status).toBe(201);
    const id = created.body!.client_id!;
    expect(id).toBeTruthy();
    expect(created.headers.get('location')).toBe(`/admin/clients/${encodeURIComponent(id)}`);
    expect(created.headers.get('cache-control')).toBe('no-store');
    // 32 random bytes, base64url: 43 characters.
    expect(created.body!.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ ...webClient, response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' });

    const read = await call('GET', `/admin/clients/${id}`);
    expect(read.status).toBe(200);
    expect(read.body!.client_secret).toBeUndefined();
    expect(read.body).toMatchObject({ client_id: id, ...webClient });
    expect(Date.parse(read.body!.created_at!)).not.toBeNaN();

    const replaced = await call('PUT', `/admin/clients/${id}`, { ...webClient, client_id: id, client_name: 'Renamed Shop', redirect_uris: ['https://shop.example/cb2'] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ client_id: id, client_name: 'Renamed Shop', redirect_uris: ['https://shop.example/cb2'] });
    expect(replaced.body!.client_secret).toBeUndefined();
    expect((await call('GET', `/admin/clients/${id}`)).body!.client_name).toBe('Renamed Shop');

    const listed = await call('GET', '/admin/clients?limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body!.items!.map((c) => c.client_id)).toContain(id);
    expect(listed.body!.items!.every((c) => !('client_secret' in c))).toBe(true);

    expect((await call('DELETE', `/admin/clients/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/clients/${id}`)).status).toBe(404);
  });

  test('a chosen client_id is kept', async () => {
    const created = await call('POST', '/admin/clients', { ...webClient, client_id: `shop-${store}` });
    expect(created.status).toBe(201);
    expect(created.body!.client_id).toBe(`shop-${store}`);
    expect(created.headers.get('location')).toBe(`/admin/clients/shop-${store}`);
  });

  test('listing pages through every client exactly once with the cursor', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'].map((suffix) => `page-${store}-${suffix}`);
    for (const client_id of ids) expect((await call('POST', '/admin/clients', { ...webClient, client_id })).status).toBe(201);

    const seen: string[] = [];
    let after: string | null | undefined;
    let pages = 0;
    do {
      const page = await call('GET', `/admin/clients?limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body!.items!.length).toBeLessThanOrEqual(2);
      seen.push(...page.body!.items!.map((c) => c.client_id));
      after = page.body!.next;
      pages += 1;
    } while (after && pages < 50);

    expect(after).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining([...ids, 'test-admin']));
    // Default page size is 50: everything here fits in one page, with no next.
    const all = await call('GET', '/admin/clients');
    expect(all.body!.items!.map((c) => c.client_id)).toEqual(seen);
    expect(all.body!.next).toBeNull();
  });

  test('replacing keeps the secret: the client still authenticates with it', async () => {
    const created = await call('POST', '/admin/clients', serviceClient);
    const id = created.body!.client_id!;
    expect((await call('PUT', `/admin/clients/${id}`, { ...serviceClient, client_name: 'Renamed back end' })).status).toBe(200);
    expect((await clientCredentials(admin.server, id, created.body!.client_secret!)).status).toBe(200);
  });

  test('rotating the secret retires the old one at once, and it is shown only in the rotation response', async () => {
    const created = await call('POST', '/admin/clients', serviceClient);
    const id = created.body!.client_id!;
    const oldSecret = created.body!.client_secret!;
    expect((await clientCredentials(admin.server, id, oldSecret)).status).toBe(200);

    const rotated = await call('POST', `/admin/clients/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ client_id: id, client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(rotated.body!.client_secret).not.toBe(oldSecret);

    const withOld = await clientCredentials(admin.server, id, oldSecret);
    expect(withOld.status).toBe(401);
    expect(withOld.body.error).toBe('invalid_client');
    expect((await clientCredentials(admin.server, id, rotated.body!.client_secret!)).status).toBe(200);
    expect((await call('GET', `/admin/clients/${id}`)).body!.client_secret).toBeUndefined();
  });

  test("a replaced client's scope applies to its very next token request", async () => {
    const created = await call('POST', '/admin/clients', serviceClient);
    const id = created.body!.client_id!;
    const secret = created.body!.client_secret!;
    expect((await clientCredentials(admin.server, id, secret, 'email')).status).toBe(200);
    expect((await call('PUT', `/admin/clients/${id}`, { ...serviceClient, scope: 'phone' })).status).toBe(200);
    const removed = await clientCredentials(admin.server, id, secret, 'email');
    expect(removed.status).toBe(400);
    expect(removed.body.error).toBe('invalid_scope');
    expect((await clientCredentials(admin.server, id, secret, 'phone')).status).toBe(200);
  });

  test("a replaced client's allowed resources apply to its very next token request", async () => {
    const api = 'https://api.replaced.example/';
    const created = await call('POST', '/admin/clients', { ...serviceClient, allowed_resources: [api] });
    const id = created.body!.client_id!;
    const forResource = async () => {
      const response = await fetch(`${admin.server.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${id}:${created.body!.client_secret!}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'email', resource: api }),
      });
      return { status: response.status, body: (await response.json()) as { error?: string } };
    };
    expect((await forResource()).status).toBe(200);
    expect((await call('PUT', `/admin/clients/${id}`, { ...serviceClient, allowed_resources: [] })).status).toBe(200);
    const refused = await forResource();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_target');
  });

  test('a deleted client can no longer get tokens', async () => {
    const created = await call('POST', '/admin/clients', serviceClient);
    const id = created.body!.client_id!;
    expect((await clientCredentials(admin.server, id, created.body!.client_secret!)).status).toBe(200);
    expect((await call('DELETE', `/admin/clients/${id}`)).status).toBe(204);
    expect((await clientCredentials(admin.server, id, created.body!.client_secret!)).body.error).toBe('invalid_client');
  });

  test('native apps may use loopback and private-use redirect URIs, and public clients get no secret', async () => {
    const result = await call('POST', '/admin/clients', {
      client_name: 'Member app',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['com.loyalty.app:/oauth/callback', 'http://127.0.0.1:8080/callback', 'http://[::1]:8080/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access',
    });
    expect(result.status).toBe(201);
    expect(result.body!.client_secret).toBeUndefined();
  });

  test('web clients may use http on localhost for development', async () => {
    const result = await call('POST', '/admin/clients', { ...webClient, redirect_uris: ['http://localhost:3000/callback'] });
    expect(result.status).toBe(201);
  });

  test('private_key_jwt clients register their public keys and get no secret', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'partner-1', use: 'sig' };
    const result = await call('POST', '/admin/clients', { ...serviceClient, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(result.status).toBe(201);
    expect(result.body!.client_secret).toBeUndefined();
    expect((await call('GET', `/admin/clients/${result.body!.client_id}`)).body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt' });
  });

  test('the loyalty extras and per-client ID token settings are stored', async () => {
    const body = {
      ...webClient,
      first_party: true,
      require_mfa: true,
      allowed_resources: ['https://api.partner.example/'],
      id_token_signed_response_alg: 'ES256',
      subject_type: 'pairwise',
      backchannel_logout_uri: 'https://shop.example/backchannel',
      backchannel_logout_session_required: true,
      post_logout_redirect_uris: ['https://shop.example/signed-out'],
      client_uri: 'https://shop.example/',
      logo_uri: 'https://shop.example/logo.png',
      policy_uri: 'https://shop.example/privacy',
      tos_uri: 'https://shop.example/terms',
    };
    const created = await call('POST', '/admin/clients', body);
    expect(created.status).toBe(201);
    expect((await call('GET', `/admin/clients/${created.body!.client_id}`)).body).toMatchObject(body);
  });
});
