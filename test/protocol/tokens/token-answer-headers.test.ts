// A client-credentials answer after the token path's pass-through middlewares (issue 19): the answer a partner
// sees is unchanged (security headers, request id, no-store, no metadata caching), the token is stored before
// it is answered, and the page-only middlewares still act on the requests they are for.
import { Buffer } from 'node:buffer';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, STORES } from '../../support/test-server.ts';
import { useAdminServer } from '../admin/admin-api.ts';

describe.each(STORES)('client-credentials token answers (%s)', (store) => {
  const admin = useAdminServer(store);
  const basic = `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`;
  const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };

  test('carry the security headers, a request id and no-store, and the token is active at once', async () => {
    const response = await fetch(`${admin.server.url}/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials&scope=admin' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const { access_token: token } = (await response.json()) as { access_token: string };
    // Introspection on the same store, right after the answer: the token was committed before it was sent.
    const introspection = await fetch(`${admin.server.url}/token/introspection`, { method: 'POST', headers: form, body: new URLSearchParams({ token }) });
    expect(await introspection.json()).toMatchObject({ active: true, client_id: ADMIN_CLIENT_ID, scope: 'admin' });
  });

  test('a POST to an unknown path stays a bare 404 for API clients; a browser GET gets the page', async () => {
    const post = await fetch(`${admin.server.url}/no-such-endpoint`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type') ?? '').not.toMatch(/html/);
    await post.arrayBuffer();
    const page = await fetch(`${admin.server.url}/no-such-page`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    await page.arrayBuffer();
  });

  test('discovery answers HEAD with its Cache-Control and GET with code only; a POST to it gets neither', async () => {
    const head = await fetch(`${admin.server.url}/.well-known/openid-configuration`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('cache-control')).toBe('public, max-age=3600');
    const get = await fetch(`${admin.server.url}/.well-known/openid-configuration`);
    expect(((await get.json()) as { response_types_supported: string[] }).response_types_supported).toEqual(['code']);
    const post = await fetch(`${admin.server.url}/.well-known/openid-configuration`, { method: 'POST' });
    expect(post.status).not.toBe(200);
    expect(post.headers.get('cache-control') ?? '').not.toMatch(/public/);
    await post.arrayBuffer();
  });
});
