// Admin API support actions on a member (issue 20), the console's actions for scripts: removing a factor (the member
// is emailed; the only passkey of an account without a password is refused), unblocking; each with a reason,
// audited with the caller; bad input and unknown members change nothing.
import { randomUUID } from 'node:crypto';
import { staffAccount } from '../../support/staff.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { adminCaller, type AdminCall } from './admin-api.ts';

describe.each(STORES)('admin API member support actions (%s)', (store) => {
  const fx = useMemberServer(store);
  let admin: AdminCall;

  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
  });

  const eventsOf = async (accountId: string) => (await fx.server.container.audit.list({ accountId, limit: 20 })).events;

  test('removes the member\'s phone with a reason: audited with the caller, the member emailed', async () => {
    const { storage } = fx.server.container;
    const { accountId, email } = await staffAccount(fx.server, [], 'phone');
    const phone = `+4479111${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;
    await storage.accounts.setPhone(accountId, phone);
    const path = `/admin/members/${accountId}/factor-removals`;
    expect((await admin('POST', path, { factor: 'phone' })).status).toBe(400);
    expect((await admin('POST', path, { factor: 'sms', reason: 'Number reassigned' })).status).toBe(400);
    expect((await admin('POST', `/admin/members/${randomUUID()}/factor-removals`, { factor: 'phone', reason: 'Number reassigned' })).status).toBe(404);
    expect((await storage.accounts.findById(accountId))?.phone).toBe(phone);

    await fx.server.container.deliveries.drain();
    const before = fx.sink.countFor(email);
    expect((await admin('POST', path, { factor: 'phone', reason: 'Number reassigned by the carrier' })).status).toBe(204);
    expect((await storage.accounts.findById(accountId))?.phone).toBeNull();
    expect((await eventsOf(accountId)).find((event) => event.type === 'phone.changed')).toMatchObject({
      reason: 'phone_removed', details: { actor: expect.stringMatching(/^client:/), staff_reason: 'Number reassigned by the carrier' },
    });
    await fx.server.container.deliveries.drain();
    expect((await fx.sink.waitForMessage(email, { after: before })).text).toContain(`The mobile number +44 ••• ••• ${phone.slice(-4)} was removed from your account.`);
    expect(fx.sink.countFor(email)).toBe(before + 1);
    // Nothing left to remove: 404, and no app either.
    expect((await admin('POST', path, { factor: 'phone', reason: 'Again' })).status).toBe(404);
    expect((await admin('POST', path, { factor: 'totp', reason: 'No app here' })).status).toBe(404);
  });

  test('refuses to remove the only passkey of an account without a password (409 last_way_in), and removes one of two', async () => {
    const { storage } = fx.server.container;
    const { accountId } = await staffAccount(fx.server, [], 'passkeys');
    const passkey = (name: string) => ({
      id: randomUUID(), accountId, publicKey: 'pk', counter: 0, transports: ['internal'], deviceType: 'multiDevice' as const, backedUp: true, name, createdAt: new Date(), lastUsedAt: null,
    });
    const only = passkey('Phone');
    await storage.passkeys.create(only);
    const path = `/admin/members/${accountId}/factor-removals`;
    const refused = await admin('POST', path, { factor: 'passkey', passkey_id: only.id, reason: 'Phone lost' });
    expect(refused.status).toBe(409);
    expect(refused.body?.details).toEqual({ reason: 'last_way_in' });
    expect(await storage.passkeys.listByAccount(accountId)).toHaveLength(1);
    await storage.passkeys.create(passkey('Laptop'));
    expect((await admin('POST', path, { factor: 'passkey', passkey_id: only.id, reason: 'Phone lost' })).status).toBe(204);
    expect((await storage.passkeys.listByAccount(accountId)).map((p) => p.name)).toEqual(['Laptop']);
    expect((await admin('POST', path, { factor: 'passkey', passkey_id: only.id, reason: 'Phone lost' })).status).toBe(404);
  });

  test('unblocks with a reason, audited as account.unlocked with the caller', async () => {
    const { accountId } = await staffAccount(fx.server, [], 'unblock');
    const path = `/admin/members/${accountId}/unblock`;
    expect((await admin('POST', path, { reason: '' })).status).toBe(400);
    expect((await admin('POST', path, { reason: 'Member called, identity checked' })).status).toBe(204);
    expect((await eventsOf(accountId)).find((event) => event.type === 'account.unlocked')).toMatchObject({
      reason: 'staff', details: { actor: expect.stringMatching(/^client:/), staff_reason: 'Member called, identity checked' },
    });
  });
});
