// Admin API description: the public OpenAPI 3.1 document covers every route, and unknown admin paths are JSON 404s.
import { STORES } from '../../support/test-server.ts';
import { useAdminServer } from './admin-api.ts';
import { operations, refs, resolve } from '../../support/openapi.ts';

interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, { security?: unknown[]; responses?: Record<string, unknown> } | unknown>>;
  components: {
    securitySchemes: Record<string, { type: string; flows?: { clientCredentials?: { tokenUrl: string; scopes: Record<string, string> } } }>;
    schemas: Record<string, unknown>;
  };
}

describe.each(STORES)('admin API: description and unknown paths (%s)', (store) => {
  const admin = useAdminServer(store);
  const { call } = admin;

  test('the OpenAPI document is public, parses as OpenAPI 3.1, and lists every route', async () => {
    const response = await fetch(`${admin.server.url}/admin/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = JSON.parse(await response.text()) as OpenApiDocument;
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/admin' }]);

    expect(operations(document.paths).sort()).toEqual([
      'DELETE /clients/{id}',
      'DELETE /connections/{id}',
      'DELETE /hooks/{id}',
      'DELETE /members/{id}',
      'DELETE /members/{id}/redemption-freeze',
      'DELETE /saml-service-providers/{id}',
      'DELETE /webhooks/{id}',
      'GET /analytics',
      'GET /audit-events',
      'GET /clients',
      'GET /clients/{id}',
      'GET /connections',
      'GET /connections/{id}',
      'GET /consent-purposes',
      'GET /events',
      'GET /held-redemptions',
      'GET /hooks',
      'GET /hooks/{id}',
      'GET /imports/{id}',
      'GET /imports/{id}/report',
      'GET /members',
      'GET /members/duplicates',
      'GET /members/{id}',
      'GET /members/{id}/consent-receipts',
      'GET /members/{id}/export',
      'GET /members/{id}/merge-preview',
      'GET /members/{id}/points-adjustments',
      'GET /openapi.json',
      'GET /partners',
      'GET /partners/{id}',
      'GET /saml-service-providers/{id}',
      'GET /staff',
      'GET /staff/{id}',
      'GET /webhooks',
      'GET /webhooks/{id}',
      'GET /webhooks/{id}/deliveries',
      'PATCH /connections/{id}',
      'PATCH /hooks/{id}',
      'POST /clients',
      'POST /clients/{id}/secret',
      'POST /connections',
      'POST /held-redemptions/{id}/reject',
      'POST /held-redemptions/{id}/release',
      'POST /hooks',
      'POST /imported-members',
      'POST /imports',
      'POST /keys/rotate',
      'POST /members/{id}/factor-removals',
      'POST /members/{id}/merge',
      'POST /members/{id}/points-adjustments',
      'POST /members/{id}/points-adjustments/{adjustmentId}/approve',
      'POST /members/{id}/points-adjustments/{adjustmentId}/reject',
      'POST /members/{id}/redemption-freeze',
      'POST /members/{id}/unblock',
      'POST /partners',
      'POST /saml-service-providers',
      'POST /webhooks',
      'POST /webhooks/{id}/replay',
      'POST /webhooks/{id}/secret/rotate',
      'PUT /clients/{id}',
      'PUT /staff/{id}',
    ]);

    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: '/token', scopes: { admin: expect.any(String) } } },
    });
    expect(document.security).toEqual([{ bearer: ['admin'] }]);
    expect((document.paths['/openapi.json']!.get as { security: unknown[] }).security).toEqual([]);

    for (const ref of refs(document)) expect([ref, resolve(document, ref)]).toEqual([ref, expect.anything()]);
    const post = document.paths['/clients']!.post as { responses: Record<string, unknown> };
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413', '415']));
  });

  test('the documented client input names exactly the fields the API accepts', async () => {
    const document = (await (await fetch(`${admin.server.url}/admin/openapi.json`)).json()) as OpenApiDocument;
    const input = document.components.schemas.ClientInput as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(input.additionalProperties).toBe(false);
    const fields = Object.keys(input.properties);
    expect(fields).toEqual(expect.arrayContaining(['client_id', 'redirect_uris', 'grant_types', 'scope', 'token_endpoint_auth_method', 'first_party', 'require_mfa', 'allowed_resources', 'jwks', 'jwks_uri']));
    expect(fields).not.toContain('client_secret');
    // Every documented field is one the API knows: none of them is refused as unknown.
    const body = Object.fromEntries(fields.map((field) => [field, null]));
    const refused = await call('POST', '/admin/clients', body);
    expect(refused.status).toBe(400);
    const unknown = Object.entries(refused.body!.details!.fields).filter(([, message]) => message === 'unknown field');
    expect(unknown).toEqual([]);
  });

  test('the documented connection input names exactly the fields the API accepts', async () => {
    const document = (await (await fetch(`${admin.server.url}/admin/openapi.json`)).json()) as OpenApiDocument;
    const input = document.components.schemas.ConnectionInput as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(input.additionalProperties).toBe(false);
    const fields = Object.keys(input.properties);
    expect(fields).toEqual(expect.arrayContaining(['kind', 'name', 'issuer', 'client_id', 'client_secret', 'scopes', 'claim_mapping', 'trusted_email', 'trusted_mfa', 'domains']));
    const refused = await call('POST', '/admin/connections', Object.fromEntries(fields.map((field) => [field, null])));
    expect(refused.status).toBe(400);
    expect(Object.entries(refused.body!.details!.fields).filter(([, message]) => message === 'unknown field')).toEqual([]);
  });

  test('the documented saml connection input names exactly the fields the API accepts for kind saml', async () => {
    const document = (await (await fetch(`${admin.server.url}/admin/openapi.json`)).json()) as OpenApiDocument;
    const input = document.components.schemas.SamlConnectionInput as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(input.additionalProperties).toBe(false);
    const fields = Object.keys(input.properties).filter((field) => field !== 'kind');
    expect(fields).toEqual(expect.arrayContaining(['name', 'metadata_url', 'metadata_xml', 'claim_mapping', 'trusted_email', 'trusted_mfa', 'domains']));
    const refused = await call('POST', '/admin/connections', { kind: 'saml', ...Object.fromEntries(fields.map((field) => [field, null])) });
    expect(refused.status).toBe(400);
    expect(Object.entries(refused.body!.details!.fields).filter(([, message]) => message === 'unknown field')).toEqual([]);
  });

  test.each([
    ['GET', '/admin'],
    ['GET', '/admin/'],
    ['GET', '/admin/nothing-here'],
    ['GET', '/admin/clients/x/y/z'],
    ['PATCH', '/admin/clients/x'],
  ])('%s %s is a JSON 404', async (method, path) => {
    const result = await call(method, path);
    expect(result.status).toBe(404);
    expect(result.headers.get('content-type')).toMatch(/^application\/json/);
    expect(result.body).toMatchObject({ error: 'not_found' });
  });
});
