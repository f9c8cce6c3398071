// Admin API /admin/hooks: the signing secret is shown once, one hook per point, and URLs this server would
// never call (plain http to a public host, private or link-local addresses) or unknown points are a 400 naming the field.
import { STORES } from '../../support/test-server.ts';
import { useAdminServer } from './admin-api.ts';

interface HookBody {
  id?: string;
  point?: string;
  url?: string;
  timeout_ms?: number;
  failure_policy?: string;
  enabled?: boolean;
  claim_namespace?: string | null;
  secret?: string;
  items?: HookBody[];
  error?: string;
  details?: { fields: Record<string, string> };
}

describe.each(STORES)('admin API: hooks (%s)', (store) => {
  const admin = useAdminServer(store);
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await admin.call(method, path, body);
    return { status: response.status, body: response.body as HookBody | undefined };
  };

  test('create answers the secret once (whsec_), with defaults; list and read never show it; change and delete', async () => {
    const created = await call('POST', '/admin/hooks', { point: 'post-login', url: 'https://hooks.example/post-login', claim_namespace: 'https://loyalty.example/' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ point: 'post-login', url: 'https://hooks.example/post-login', timeout_ms: 2000, failure_policy: 'open', enabled: true, claim_namespace: 'https://loyalty.example/' });
    expect(created.body!.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const id = created.body!.id!;

    const listed = await call('GET', '/admin/hooks');
    expect(listed.body!.items!.map((hook) => hook.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    const read = await call('GET', `/admin/hooks/${id}`);
    expect(read.status).toBe(200);
    expect(read.body!.secret).toBeUndefined();

    const changed = await call('PATCH', `/admin/hooks/${id}`, { enabled: false, failure_policy: 'closed', timeout_ms: 500 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ enabled: false, failure_policy: 'closed', timeout_ms: 500, url: 'https://hooks.example/post-login', claim_namespace: 'https://loyalty.example/' });
    // A change names only what changes: the rest is kept, not reset to the defaults.
    const again = await call('PATCH', `/admin/hooks/${id}`, { enabled: true });
    expect(again.body).toMatchObject({ enabled: true, failure_policy: 'closed', timeout_ms: 500, claim_namespace: 'https://loyalty.example/' });

    // One hook per point: a sign-in waits on one callout at most.
    expect((await call('POST', '/admin/hooks', { point: 'post-login', url: 'https://hooks.example/other' })).status).toBe(409);

    expect((await call('DELETE', `/admin/hooks/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/hooks/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/admin/hooks/${id}`)).status).toBe(404);
  });

  test.each([
    ['plain http to a public host', { point: 'pre-token', url: 'http://hooks.example/x' }, 'url'],
    ['a private address literal', { point: 'pre-token', url: 'https://10.0.0.8/hook' }, 'url'],
    ['the link-local metadata address', { point: 'pre-token', url: 'https://169.254.169.254/latest' }, 'url'],
    ['an unknown point', { point: 'pre-logout', url: 'https://hooks.example/x' }, 'point'],
    ['a timeout over 10 s', { point: 'pre-token', url: 'https://hooks.example/x', timeout_ms: 10_001 }, 'timeout_ms'],
    ['an unknown failure policy', { point: 'pre-token', url: 'https://hooks.example/x', failure_policy: 'maybe' }, 'failure_policy'],
    ['a claim namespace that is not an https URL ending in /', { point: 'pre-token', url: 'https://hooks.example/x', claim_namespace: 'loyalty' }, 'claim_namespace'],
    ['an unknown field', { point: 'pre-token', url: 'https://hooks.example/x', secret: 'mine' }, 'secret'],
  ])('%s is refused with 400 naming the field', async (_name, body, field) => {
    const refused = await call('POST', '/admin/hooks', body);
    expect(refused.status).toBe(400);
    expect(refused.body!.error).toBe('invalid_input');
    expect(Object.keys(refused.body!.details!.fields)).toContain(field);
  });

  test('a change to a URL this server would not call is refused the same way', async () => {
    const created = await call('POST', '/admin/hooks', { point: 'post-redemption', url: 'https://hooks.example/redeemed' });
    const refused = await call('PATCH', `/admin/hooks/${created.body!.id!}`, { url: 'https://[fd00::1]/hook' });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body!.details!.fields)).toEqual(['url']);
  });

  test('without an admin token: 401', async () => {
    const response = await admin.call('GET', '/admin/hooks', undefined, { authorization: '' });
    expect(response.status).toBe(401);
  });
});
