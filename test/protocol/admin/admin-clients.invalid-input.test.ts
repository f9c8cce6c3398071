// Admin API, sad paths: bodies refused with field errors, size/type/syntax limits, conflicts and missing clients.
import { STORES } from '../../support/test-server.ts';
import { serviceClient, webClient, useAdminServer } from './admin-api.ts';

describe.each(STORES)('admin API: refused client input (%s)', (store) => {
  const admin = useAdminServer(store);
  const { call } = admin;

  test.each([
    ['an empty body', {}, 'redirect_uris'],
    ['redirect_uris as a string', { ...webClient, redirect_uris: 'https://shop.example/cb' }, 'redirect_uris'],
    ['first_party as a string', { ...webClient, first_party: 'yes' }, 'first_party'],
    ['require_mfa as a number', { ...webClient, require_mfa: 1 }, 'require_mfa'],
    ['an unknown field', { ...webClient, is_admin: true }, 'is_admin'],
    ['a caller-chosen client_secret', { ...webClient, client_secret: 'my-own-secret' }, 'client_secret'],
    ['an http redirect on a public host', { ...webClient, redirect_uris: ['http://shop.example/callback'] }, 'redirect_uris.0'],
    ['an http redirect on a host that only starts like localhost', { ...webClient, redirect_uris: ['http://localhost.shop.example/cb'] }, 'redirect_uris.0'],
    ['a fragment in the redirect', { ...webClient, redirect_uris: ['https://shop.example/callback#x'] }, 'redirect_uris.0'],
    ['an empty fragment in the redirect', { ...webClient, redirect_uris: ['https://shop.example/ok', 'https://shop.example/callback#'] }, 'redirect_uris.1'],
    ['a relative redirect', { ...webClient, redirect_uris: ['/callback'] }, 'redirect_uris.0'],
    ['a custom scheme on a web client', { ...webClient, redirect_uris: ['com.example.app:/callback'] }, 'redirect_uris.0'],
    ['a javascript: redirect on a native client', { ...webClient, application_type: 'native', redirect_uris: ['javascript:alert(1)'] }, 'redirect_uris.0'],
    ['an http post-logout redirect on a public host', { ...webClient, post_logout_redirect_uris: ['http://shop.example/bye'] }, 'post_logout_redirect_uris.0'],
    ['the admin scope', { ...webClient, scope: 'openid admin' }, 'scope'],
    ['the admin scope alone', { ...serviceClient, scope: 'admin' }, 'scope'],
    ['an unsupported grant type', { ...webClient, grant_types: ['password'] }, 'grant_types.0'],
    ['the implicit grant', { ...webClient, grant_types: ['implicit'] }, 'grant_types.0'],
    ['an unsupported auth method', { ...webClient, token_endpoint_auth_method: 'client_secret_jwt' }, 'token_endpoint_auth_method'],
    ['an unsupported ID token algorithm', { ...webClient, id_token_signed_response_alg: 'HS256' }, 'id_token_signed_response_alg'],
    ['a malformed client_id', { ...webClient, client_id: 'has spaces' }, 'client_id'],
  ])('%s is a 400 with a field error', async (_name, body, field) => {
    const result = await call('POST', '/admin/clients', body);
    expect(result.status).toBe(400);
    expect(result.body!.error).toBe('invalid_input');
    expect(result.body!.error_description).toEqual(expect.any(String));
    expect(Object.keys(result.body!.details!.fields)).toContain(field);
  });

  test.each([
    ['the account console', 'loyalty-account-console'],
    ['the reserved prefix', 'loyalty-anything'],
    ['the reserved prefix in another case', 'Loyalty-Console'],
    ['the bootstrap admin client', 'test-admin'],
  ])('a client_id reserved for %s is a 400 that says so, and nothing is created', async (_name, clientId) => {
    const result = await call('POST', '/admin/clients', { ...webClient, client_id: clientId });
    expect(result.status).toBe(400);
    expect(result.body!.error).toBe('invalid_input');
    expect(result.body!.details!.fields.client_id).toMatch(/reserved/);
    if (clientId !== 'test-admin') expect((await call('GET', `/admin/clients/${clientId}`)).status).toBe(404);
  });

  test('every unknown field is named', async () => {
    const result = await call('POST', '/admin/clients', { ...webClient, is_admin: true, owner: 'me' });
    expect(result.status).toBe(400);
    expect(result.body!.details!.fields).toMatchObject({ is_admin: 'unknown field', owner: 'unknown field' });
  });

  test('a request without a body, or a JSON body that is not an object, is a 400', async () => {
    const none = await call('POST', '/admin/clients');
    expect(none.status).toBe(400);
    expect(none.body!.details!.fields).toHaveProperty(['(body)']);
    expect((await call('POST', '/admin/clients', [])).status).toBe(400);
  });

  test('oidc-provider rejects incoherent metadata that passes our schema, with its description', async () => {
    // response_types code needs a redirect URI; only oidc-provider's cross-field rules catch it here.
    const noRedirect = await call('POST', '/admin/clients', { ...serviceClient, response_types: ['code'] });
    expect(noRedirect.status).toBe(400);
    expect(noRedirect.body!.error).toBe('invalid_input');
    expect(noRedirect.body!.error_description).toMatch(/redirect_uris/);
    const twoKeySources = await call('POST', '/admin/clients', { ...serviceClient, jwks_uri: 'https://partner.example/jwks', jwks: { keys: [] } });
    expect(twoKeySources.status).toBe(400);
    expect(twoKeySources.body!.error_description).toMatch(/jwks/);
  });

  test('private_key_jwt without keys is refused by oidc-provider', async () => {
    const result = await call('POST', '/admin/clients', { ...serviceClient, token_endpoint_auth_method: 'private_key_jwt' });
    expect(result.status).toBe(400);
    expect(result.body!.error_description).toMatch(/jwks/);
  });

  test('a wrong content type is 415, broken JSON 400, and a body over 64 KB 413', async () => {
    const form = await call('POST', '/admin/clients', 'client_name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body!.error).toBe('unsupported_media_type');
    expect((await call('POST', '/admin/clients', '{"client_name":', {})).status).toBe(400);
    const huge = await call('POST', '/admin/clients', { ...webClient, client_name: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body!.error).toBe('payload_too_large');
    // Limits hold on replace too.
    expect((await call('PUT', '/admin/clients/anything', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
  });

  test('a duplicate client_id is 409', async () => {
    const body = { ...webClient, client_id: `dup-${store}` };
    expect((await call('POST', '/admin/clients', body)).status).toBe(201);
    const again = await call('POST', '/admin/clients', body);
    expect(again.status).toBe(409);
    expect(again.body!.error).toBe('duplicate');
  });

  test('replace validates like create and refuses a different client_id in the body', async () => {
    const created = await call('POST', '/admin/clients', webClient);
    const id = created.body!.client_id!;
    expect((await call('PUT', `/admin/clients/${id}`, { ...webClient, client_id: 'someone-else' })).body!.details!.fields).toHaveProperty('client_id');
    expect((await call('PUT', `/admin/clients/${id}`, { ...webClient, redirect_uris: ['http://shop.example/cb'] })).status).toBe(400);
    expect((await call('PUT', `/admin/clients/${id}`, { ...webClient, scope: 'admin' })).status).toBe(400);
    expect((await call('GET', `/admin/clients/${id}`)).body!.redirect_uris).toEqual(webClient.redirect_uris);
  });

  test('a missing client is 404 for read, replace, delete and rotate', async () => {
    expect((await call('GET', '/admin/clients/no-such-client')).status).toBe(404);
    expect((await call('PUT', '/admin/clients/no-such-client', webClient)).status).toBe(404);
    expect((await call('DELETE', '/admin/clients/no-such-client')).status).toBe(404);
    const rotate = await call('POST', '/admin/clients/no-such-client/secret');
    expect(rotate.status).toBe(404);
    expect(rotate.body).toMatchObject({ error: 'not_found' });
  });

  test('the bootstrap admin client cannot be replaced, rotated or deleted through the API', async () => {
    for (const [method, path, body] of [
      ['PUT', '/admin/clients/test-admin', serviceClient],
      ['POST', '/admin/clients/test-admin/secret', undefined],
      ['DELETE', '/admin/clients/test-admin', undefined],
    ] as const) {
      const result = await call(method, path, body);
      expect(result.status).toBe(409);
      expect(result.body!.error).toBe('conflict');
    }
    // Still there and still working.
    expect((await call('GET', '/admin/clients/test-admin')).status).toBe(200);
    expect(await admin.server.adminToken()).toEqual(expect.any(String));
  });

  test('a public client has no secret to rotate', async () => {
    const created = await call('POST', '/admin/clients', { ...webClient, token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example/cb'] });
    expect(created.status).toBe(201);
    expect((await call('POST', `/admin/clients/${created.body!.client_id}/secret`)).status).toBe(409);
  });

  test.each([['limit=0'], ['limit=101'], ['limit=abc'], ['limit=1.5'], ['limit=1&limit=2']])('listing with %s is a 400', async (query) => {
    const result = await call('GET', `/admin/clients?${query}`);
    expect(result.status).toBe(400);
    expect(result.body!.details!.fields).toHaveProperty('limit');
  });
});
