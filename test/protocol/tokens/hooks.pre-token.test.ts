// The pre-token hook on client credentials: a partner back end's access token carries the namespaced claims
// the hook adds; a hook that refuses, or fails under a closed policy, gets the token request access_denied.
import { Buffer } from 'node:buffer';
import { clientCredentials, serviceClient, useAdminServer } from '../admin/admin-api.ts';
import { startHookServer, type HookServer, verifySignature } from '../../support/hook-server.ts';
import { STORES } from '../../support/test-server.ts';

const NAMESPACE = 'https://loyalty.example/';

describe.each(STORES)('pre-token hook on client credentials (%s)', (store) => {
  const admin = useAdminServer(store);
  let hooks: HookServer;
  let hookId = '';
  let secret = '';
  let client = { id: '', secret: '' };

  beforeAll(async () => {
    hooks = await startHookServer();
    const created = await admin.call('POST', '/admin/hooks', { point: 'pre-token', url: hooks.url('pre-token'), claim_namespace: NAMESPACE, failure_policy: 'closed', timeout_ms: 500 });
    ({ id: hookId, secret } = created.body as unknown as { id: string; secret: string });
    const registered = await admin.call('POST', '/admin/clients', serviceClient);
    client = { id: registered.body!.client_id!, secret: registered.body!.client_secret! };
  });
  afterAll(async () => hooks?.close());

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const basic = Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
    const response = await fetch(`${admin.server.url}/token/introspection`, {
      method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  test('the hook\'s namespaced claims ride in the access token; the hook is told which client asked, signed', async () => {
    hooks.answer('pre-token', { json: { decision: 'allow', claims: { [`${NAMESPACE}partner_tier`]: 'premium' } } });
    const issued = await clientCredentials(admin.server, client.id, client.secret, 'email');
    expect(issued.status).toBe(200);
    expect(await introspect(issued.body.access_token!)).toMatchObject({ active: true, client_id: client.id, [`${NAMESPACE}partner_tier`]: 'premium' });
    const call = await hooks.waitForCall('pre-token');
    expect(call.body.data).toMatchObject({ client_id: client.id, scope: 'email' });
    expect(verifySignature(secret, call)).toBe(true);
  });

  test('a hook that refuses: access_denied, no token', async () => {
    hooks.answer('pre-token', { json: { decision: 'deny' } });
    const refused = await clientCredentials(admin.server, client.id, client.secret, 'email');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('access_denied');
    expect(refused.body.access_token).toBeUndefined();
  });

  test.each([
    ['claims without the namespace', { json: { decision: 'allow', claims: { sub: 'someone-else' } } }],
    ['no answer within the timeout', { hold: true }],
  ] as const)('%s: closed refuses the token, open issues it without claims', async (_name, answer) => {
    hooks.answer('pre-token', answer);
    expect((await clientCredentials(admin.server, client.id, client.secret, 'email')).body.error).toBe('access_denied');
    expect((await admin.call('PATCH', `/admin/hooks/${hookId}`, { failure_policy: 'open' })).status).toBe(200);
    const issued = await clientCredentials(admin.server, client.id, client.secret, 'email');
    expect(issued.status).toBe(200);
    const claims = await introspect(issued.body.access_token!);
    expect(claims.active).toBe(true);
    expect(Object.keys(claims).filter((name) => name.startsWith('https://'))).toEqual([]);
    expect(claims.sub).not.toBe('someone-else');
    expect((await admin.call('PATCH', `/admin/hooks/${hookId}`, { failure_policy: 'closed' })).status).toBe(200);
  });

  // Issue 19: with no pre-token hook the token endpoint skips the hook path altogether; turning one on must
  // still reach the very next token, not one issued after the hook list's cache runs out.
  test('a disabled hook is not called and adds nothing; enabled again, the very next token calls it', async () => {
    const preTokenCalls = () => hooks.calls.filter((call) => call.point === 'pre-token').length;
    hooks.answer('pre-token', { json: { decision: 'deny' } });
    expect((await admin.call('PATCH', `/admin/hooks/${hookId}`, { enabled: false })).status).toBe(200);
    const before = preTokenCalls();
    for (let i = 0; i < 3; i++) {
      const issued = await clientCredentials(admin.server, client.id, client.secret, 'email');
      expect(issued.status).toBe(200);
      const claims = await introspect(issued.body.access_token!);
      expect(claims.active).toBe(true);
      expect(Object.keys(claims).filter((name) => name.startsWith('https://'))).toEqual([]);
    }
    expect(preTokenCalls()).toBe(before);
    expect((await admin.call('PATCH', `/admin/hooks/${hookId}`, { enabled: true })).status).toBe(200);
    const refused = await clientCredentials(admin.server, client.id, client.secret, 'email');
    expect(refused.body.error).toBe('access_denied');
    expect(preTokenCalls()).toBe(before + 1);
  });
});
