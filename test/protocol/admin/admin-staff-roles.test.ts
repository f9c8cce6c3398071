// PUT /admin/staff/{id} (issue 20): owners grant roles (other staff cannot), edits made meanwhile are refused
// by version, every change is audited with the person; STAFF_OWNER_EMAIL makes the first owner at boot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { allowFerretDbTime } from '../../support/ferretdb-timeout.ts';
import { staffAccount, staffToken } from '../../support/staff.ts';
import { startTestServer, STORES } from '../../support/test-server.ts';
import { mongoTestUri } from '../../support/mongo-uri.ts';
import { dropMongoDatabase } from '../../../adapters/mongo/drop-database.ts';
import { useAdminServer } from './admin-api.ts';

interface RolesBody { sub: string; roles: string[]; version: number; error?: string; details?: { reason?: string } }

describe.each(STORES)('admin API: staff roles (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const admin = useAdminServer(store);
  const roles = (result: { body: unknown }) => result.body as RolesBody;

  test('an owner grants and removes roles; other staff cannot; changes are audited with the person', async () => {
    const owner = await staffAccount(admin.server, ['owner'], 'owner');
    const ownerToken = { authorization: `Bearer ${await staffToken(admin.server, owner.accountId)}` };
    const member = await staffAccount(admin.server, [], 'agent');
    expect(roles(await admin.call('GET', `/admin/staff/${member.accountId}`, undefined, ownerToken))).toMatchObject({ roles: [], version: 0 });

    const granted = await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: ['viewer', 'support', 'support'], version: 0 }, ownerToken);
    expect(granted.status).toBe(200);
    expect(roles(granted)).toMatchObject({ sub: member.accountId, roles: ['support', 'viewer'], version: 1 });

    const support = { authorization: `Bearer ${await staffToken(admin.server, member.accountId)}` };
    expect((await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: ['owner'] }, support)).status).toBe(403);
    expect((await admin.call('GET', '/admin/staff', undefined, support)).status).toBe(403);

    const listed = (await admin.call('GET', '/admin/staff', undefined, ownerToken)).body as unknown as { items: RolesBody[] };
    expect(listed.items.map((item) => item.sub)).toEqual(expect.arrayContaining([owner.accountId, member.accountId]));

    expect(roles(await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: [], version: 1 }, ownerToken))).toMatchObject({ roles: [], version: 0 });
    const events = (await admin.call('GET', '/admin/audit-events?type=staff.roles_changed')).body as unknown as { events: { accountId?: string; account_id?: string; details: Record<string, unknown> }[] };
    const mine = events.events.filter((event) => (event.account_id ?? event.accountId) === member.accountId);
    expect(mine.map((event) => event.details)).toEqual([
      expect.objectContaining({ actor: `staff:${owner.accountId}`, roles: null }),
      expect.objectContaining({ actor: `staff:${owner.accountId}`, roles: 'support viewer' }),
    ]);
  });

  test('an edit from a stale version is refused, nothing changed', async () => {
    const member = await staffAccount(admin.server, ['viewer'], 'agent');
    expect(roles(await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: ['support'], version: 1 })).version).toBe(2);
    const stale = await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: ['owner'], version: 1 });
    expect(stale.status).toBe(409);
    expect(roles(stale).details?.reason).toBe('stale');
    expect(roles(await admin.call('GET', `/admin/staff/${member.accountId}`))).toMatchObject({ roles: ['support'], version: 2 });
  });

  test('unknown roles, members and fields are clear 400/404s', async () => {
    const member = await staffAccount(admin.server, [], 'agent');
    expect((await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: ['root'] })).status).toBe(400);
    expect((await admin.call('PUT', `/admin/staff/${member.accountId}`, { roles: ['viewer'], extra: true })).status).toBe(400);
    expect((await admin.call('PUT', '/admin/staff/no-such-member', { roles: ['viewer'] })).status).toBe(404);
  });
});

describe.each(STORES)('STAFF_OWNER_EMAIL (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();

  test('at boot, the member with that verified email becomes owner once; later changes stick', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'idp-staff-'));
    const mongoDb = `idp_staff_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const first = await startTestServer({ store, dataDir, mongoDb });
    const { accountId, email } = await staffAccount(first, [], 'first-owner');
    await first.close();

    const env = { STAFF_OWNER_EMAIL: email.toUpperCase() };
    const second = await startTestServer({ store, dataDir, mongoDb, env });
    expect((await second.container.storage.staff.find(accountId))?.roles).toEqual(['owner']);
    await second.container.storage.staff.setRoles(accountId, ['viewer']);
    await second.close();

    const third = await startTestServer({ store, dataDir, mongoDb, env });
    try {
      expect((await third.container.storage.staff.find(accountId))?.roles).toEqual(['viewer']);
    } finally {
      await third.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (store === 'mongo') await dropMongoDatabase(mongoTestUri(mongoDb));
    }
  });
});
