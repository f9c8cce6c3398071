// Threat: a staff member doing more than their role allows through the admin API. Table-driven: every admin
// route × every staff role → allowed (reaches the handler) or 403, from the one permissions matrix; and the
// staff token itself must come from a recent two-factor (app or passkey) sign-in at the console client.
import { ACR } from '../../config/assurance.ts';
import { ADMIN_ROUTE_ACTIONS, mayDo } from '../../server/domain/staff/permissions.ts';
import { STAFF_ROLES, type StaffRole } from '../../server/domain/staff/staff-roles.ts';
import { operations } from '../support/openapi.ts';
import { staffAccount, staffToken } from '../support/staff.ts';
import { ADMIN_CLIENT_ID, STORES } from '../support/test-server.ts';
import { useAdminServer } from '../protocol/admin/admin-api.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ROUTES = Object.entries(ADMIN_ROUTE_ACTIONS).map(([route, action]) => {
  const [method, pattern] = route.split(' ') as [string, string];
  return { route, method, pattern, action };
});

/** A request the handler can answer without harm: unknown ids (404) or an incomplete body (400). */
function pathOf(pattern: string, memberId: string): string {
  return pattern.replace(':adjustmentId', 'no-such-adjustment').replace(':id', pattern.startsWith('/admin/members') || pattern.startsWith('/admin/staff') ? memberId : 'no-such-id');
}

describe.each(STORES)('staff permissions matrix (%s)', (store) => {
  const admin = useAdminServer(store);
  const tokens = {} as Record<StaffRole, string>;
  let memberId = '';

  beforeAll(async () => {
    for (const role of STAFF_ROLES) {
      const { accountId } = await staffAccount(admin.server, [role], role);
      tokens[role] = await staffToken(admin.server, accountId);
    }
    // An ordinary member the member routes act on: a real id, so refusals are not mistaken for 404s.
    memberId = (await staffAccount(admin.server, [], 'member')).accountId;
  });

  test('every documented admin route has its line in the matrix, and every line is a route', async () => {
    const document = (await (await fetch(`${admin.server.url}/admin/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = operations(document.paths).filter((op) => op !== 'GET /openapi.json')
      .map((op) => { const [method, path] = op.split(' ') as [string, string]; return `${method} /admin${path.replace(/\{(\w+)\}/g, ':$1')}`; });
    expect([...documented].sort()).toEqual(Object.keys(ADMIN_ROUTE_ACTIONS).sort());
  });

  test.each(ROUTES)('$route ($action)', async ({ method, pattern, action }) => {
    const path = pathOf(pattern, memberId);
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    for (const role of STAFF_ROLES) {
      // DELETE /admin/members/:id would really erase the member (with grace): the allowed case runs on a throwaway.
      const target = pattern === '/admin/members/:id' && method === 'DELETE' ? path.replace(memberId, (await staffAccount(admin.server, [], 'erasable')).accountId) : path;
      const result = await admin.call(method, target, body, { ...bearer(tokens[role]), 'idempotency-key': `matrix-${role}` });
      const allowed = mayDo([role], action);
      // Allowed: the handler answered (anything but 401/403); refused: 403 before any handler ran.
      expect([role, allowed ? result.status !== 403 && result.status !== 401 : result.status]).toEqual([role, allowed ? true : 403]);
      if (!allowed) expect(result.body?.error).toBe('forbidden');
    }
  });

  test('the admin client token still may do everything', async () => {
    expect((await admin.call('GET', '/admin/staff')).status).toBe(200);
    expect((await admin.call('GET', `/admin/members/${memberId}`)).status).toBe(200);
  });

  test('a member without staff roles gets 403 with a staff console token', async () => {
    const result = await admin.call('GET', `/admin/members/${memberId}`, undefined, bearer(await staffToken(admin.server, memberId)));
    expect(result.status).toBe(403);
  });

  test.each([
    ['one factor', { acr: ACR.oneFactor, amr: ['pwd'] }],
    ['a texted code as second factor', { amr: ['pwd', 'sms', 'mfa'] }],
    ['password and an emailed code (no app or passkey)', { amr: ['pwd', 'email', 'mfa'] }],
    ['a sign-in over 12 hours old', { authTime: Math.floor(Date.now() / 1000) - 12 * 3600 - 60 }],
  ])('a staff token from %s is 401', async (_name, options) => {
    const { accountId } = await staffAccount(admin.server, ['owner'], 'weak');
    const result = await admin.call('GET', '/admin/staff', undefined, bearer(await staffToken(admin.server, accountId, options)));
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  test('a member token of another client is 401, whatever roles the member has', async () => {
    const { accountId } = await staffAccount(admin.server, ['owner'], 'other-client');
    const result = await admin.call('GET', '/admin/staff', undefined, bearer(await staffToken(admin.server, accountId, { clientId: ADMIN_CLIENT_ID })));
    expect(result.status).toBe(401);
  });

  test('taking the role away ends what the token may do at once; refused changes are audited with the person', async () => {
    const { accountId } = await staffAccount(admin.server, ['support'], 'demoted');
    const token = await staffToken(admin.server, accountId);
    expect((await admin.call('GET', `/admin/members/${memberId}`, undefined, bearer(token))).status).toBe(200);
    expect((await admin.call('PUT', `/admin/staff/${accountId}`, { roles: [] })).status).toBe(200);
    expect((await admin.call('GET', `/admin/members/${memberId}`, undefined, bearer(token))).status).toBe(403);

    const other = await staffAccount(admin.server, ['viewer'], 'refused');
    expect((await admin.call('POST', '/admin/keys/rotate', {}, bearer(await staffToken(admin.server, other.accountId)))).status).toBe(403);
    const events = await admin.call('GET', '/admin/audit-events?type=admin.action');
    const refused = (events.body as unknown as { events: { reason: string; details: Record<string, unknown> }[] }).events
      .find((event) => event.details.actor === `staff:${other.accountId}`);
    expect(refused).toMatchObject({ reason: 'POST /admin/keys/rotate', details: { status: 403, admin_client_id: 'loyalty-staff-console' } });
  });
});
