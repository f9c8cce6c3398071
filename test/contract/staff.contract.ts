// Contract: StaffRepository (issue 20) — roles per account with an optimistic-concurrency version, and points
// adjustments awaiting approval: one per idempotency key, decided once however many decide at the same time.
import { randomUUID } from 'node:crypto';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeStaffContract(open: OpenStorage): void {
  describe('staff roles and points adjustments', () => {
    const storage = useStorage(open);
    const staff = () => storage().staff;

    it('stores roles sorted without repeats, versions every change, and removes the row when no role is left', async () => {
      const id = randomUUID();
      expect(await staff().find(id)).toBeUndefined();
      const first = await staff().setRoles(id, ['viewer', 'support', 'viewer']);
      expect(first).toMatchObject({ ok: true, staff: { accountId: id, roles: ['support', 'viewer'], version: 1 } });
      expect((await staff().setRoles(id, ['owner'])).ok).toBe(true);
      expect(await staff().find(id)).toMatchObject({ roles: ['owner'], version: 2 });
      expect((await staff().list()).map((member) => member.accountId)).toContain(id);
      expect(await staff().setRoles(id, [])).toEqual({ ok: true, staff: undefined });
      expect(await staff().find(id)).toBeUndefined();
    });

    it('refuses a stale version, and of concurrent editors holding one version exactly one wins', async () => {
      const id = randomUUID();
      const created = await Promise.all([staff().setRoles(id, ['viewer'], 0), staff().setRoles(id, ['owner'], 0)]);
      expect(created.filter((result) => result.ok)).toHaveLength(1);
      const stale = await staff().setRoles(id, ['support'], 0);
      expect(stale).toMatchObject({ ok: false, reason: 'stale', current: { version: 1 } });
      const edits = await Promise.all(['support', 'security', 'viewer'].map((role) => staff().setRoles(id, [role as 'support'], 1)));
      expect(edits.filter((result) => result.ok)).toHaveLength(1);
      expect((await staff().find(id))?.version).toBe(2);
    });

    it('keeps one pending adjustment per key and decides it once', async () => {
      const accountId = randomUUID();
      const input = { accountId, points: 5000, reason: 'Flight credit', requestedBy: 'staff:a', idempotencyKey: `k-${randomUUID()}`, requestHash: 'h' };
      const [one, two] = await Promise.all([staff().createAdjustment(input), staff().createAdjustment(input)]);
      expect([one.created, two.created].filter(Boolean)).toHaveLength(1);
      expect(one.adjustment.id).toBe(two.adjustment.id);
      expect((await staff().listPendingAdjustments(accountId)).map((a) => a.id)).toEqual([one.adjustment.id]);
      const at = new Date();
      const decisions = await Promise.all([
        staff().decideAdjustment(one.adjustment.id, 'approved', 'staff:b', at),
        staff().decideAdjustment(one.adjustment.id, 'rejected', 'staff:c', at),
      ]);
      expect(decisions.filter(Boolean)).toHaveLength(1);
      const decided = await staff().findAdjustment(one.adjustment.id);
      expect(decided?.status).not.toBe('pending');
      expect(await staff().listPendingAdjustments(accountId)).toEqual([]);
    });

    it('reopens an approved adjustment that was never applied, and never one that was', async () => {
      const accountId = randomUUID();
      const { adjustment } = await staff().createAdjustment({ accountId, points: -10, reason: 'r', requestedBy: 'staff:a', idempotencyKey: `k-${randomUUID()}`, requestHash: 'h' });
      expect(await staff().decideAdjustment(adjustment.id, 'approved', 'staff:b', new Date())).toBe(true);
      await staff().reopenAdjustment(adjustment.id);
      expect((await staff().findAdjustment(adjustment.id))?.status).toBe('pending');
      expect(await staff().decideAdjustment(adjustment.id, 'approved', 'staff:b', new Date())).toBe(true);
      await staff().markApplied(adjustment.id, 'entry-1');
      await staff().reopenAdjustment(adjustment.id);
      expect(await staff().findAdjustment(adjustment.id)).toMatchObject({ status: 'approved', ledgerEntryId: 'entry-1', decidedBy: 'staff:b' });
    });

    it('freezes a member\'s redemptions once (the first freeze stays), lifts it, and forgets it with the member', async () => {
      const accountId = randomUUID();
      expect(await staff().findRedemptionFreeze(accountId)).toBeUndefined();
      const at = new Date(Math.floor(Date.now() / 1000) * 1000);
      const [one, two] = await Promise.all([
        staff().freezeRedemptions({ accountId, frozenBy: 'staff:a', reason: 'Card reported stolen', frozenAt: at }),
        staff().freezeRedemptions({ accountId, frozenBy: 'staff:b', reason: 'Second thoughts', frozenAt: at }),
      ]);
      expect(one).toEqual(two);
      expect(await staff().findRedemptionFreeze(accountId)).toEqual(one);
      expect(one.frozenAt.getTime()).toBe(at.getTime());
      expect(await staff().unfreezeRedemptions(accountId)).toBe(true);
      expect(await staff().unfreezeRedemptions(accountId)).toBe(false);
      expect(await staff().findRedemptionFreeze(accountId)).toBeUndefined();
      await staff().freezeRedemptions({ accountId, frozenBy: 'staff:a', reason: 'Again', frozenAt: at });
      await staff().deleteByAccount(accountId);
      expect(await staff().findRedemptionFreeze(accountId)).toBeUndefined();
    });
  });
}
