// Contract: HeldRedemptionsRepository — a held redemption reserves its points (cannot be spent twice) without
// announcing a redemption; release makes it final and emits points.redeemed once; reject gives the points back;
// a second decision (or a racing one) changes nothing; the balance always equals the sum of the entries.
import { randomUUID } from 'node:crypto';
import type { NewHold } from '../../server/domain/loyalty/held-redemptions.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeHeldRedemptionsContract(open: OpenStorage): void {
  describe('held redemptions', () => {
    const storage = useStorage(open);
    const held = () => storage().heldRedemptions;

    async function memberWith(points: number): Promise<string> {
      const accountId = randomUUID();
      await storage().loyalty.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
      const key = randomUUID();
      await storage().loyalty.post({ accountId, kind: 'earn', points, partnerId: 'p1', reason: 'earn', idempotencyKey: key, requestHash: key });
      return accountId;
    }

    function request(accountId: string, points: number, key = randomUUID()): NewHold {
      return { accountId, points, partnerId: null, reason: 'gift card', idempotencyKey: key, requestHash: `hash-${key}`, score: 75, signals: ['new-device-redemption', 'balance-drain'] };
    }

    async function expectInvariant(accountId: string, balance: number, lifetime?: number) {
      const member = await storage().loyalty.findMember(accountId);
      expect(member?.balance).toBe(balance);
      if (lifetime !== undefined) expect(member?.lifetimePoints).toBe(lifetime);
      expect(await storage().loyalty.sumEntries(accountId)).toBe(balance);
    }

    async function redeemedEvents(accountId: string, since: Date) {
      const events = await storage().events.listByTime({ from: since, to: new Date(Date.now() + 60_000), limit: 1000 });
      return events.filter((e) => e.memberId === accountId && e.type === 'points.redeemed');
    }

    it('reserves the points with a hold entry, records the signals, and announces nothing yet', async () => {
      const since = new Date(Date.now() - 1000);
      const accountId = await memberWith(1000);
      const result = await held().hold(request(accountId, 800));
      if (!result.ok || !result.hold) throw new Error('expected a hold');
      expect(result.entry).toMatchObject({ kind: 'hold', points: -800, balanceAfter: 200 });
      expect(result.hold).toMatchObject({ accountId, points: 800, status: 'held', score: 75, signals: ['new-device-redemption', 'balance-drain'], entryId: result.entry.id, decidedAt: null });
      await expectInvariant(accountId, 200, 1000);
      // Reserved: the held points cannot be spent again.
      const key = randomUUID();
      expect(await storage().loyalty.post({ accountId, kind: 'redeem', points: -300, partnerId: null, reason: 'x', idempotencyKey: key, requestHash: key }))
        .toEqual({ ok: false, reason: 'insufficient_points' });
      expect(await redeemedEvents(accountId, since)).toEqual([]);
      expect(await held().find(result.hold.id)).toEqual(result.hold);
      expect((await held().list('held', { limit: 100 })).map((h) => h.id)).toContain(result.hold.id);
      expect(await held().listByAccount(accountId, 10)).toEqual([result.hold]);
    });

    it('replays a hold for its key, refuses another request under it, and writes nothing when points are short', async () => {
      const accountId = await memberWith(500);
      const first = request(accountId, 400);
      const a = await held().hold(first);
      const b = await held().hold(first);
      if (!a.ok || !b.ok) throw new Error('expected holds');
      expect(b).toMatchObject({ replayed: true, hold: a.hold, entry: a.entry });
      expect(await held().hold({ ...first, requestHash: 'other' })).toEqual({ ok: false, reason: 'idempotency_conflict' });
      expect(await held().hold(request(accountId, 101))).toEqual({ ok: false, reason: 'insufficient_points' });
      expect(await held().hold(request(randomUUID(), 1))).toEqual({ ok: false, reason: 'no_member' });
      expect(await held().listByAccount(accountId, 10)).toHaveLength(1);
      await expectInvariant(accountId, 100);
    });

    it('a key a plain redemption used is replayed as that redemption, not held', async () => {
      const accountId = await memberWith(500);
      const key = randomUUID();
      const hold = request(accountId, 100, key);
      const redeemed = await storage().loyalty.post({ accountId, kind: 'redeem', points: -100, partnerId: null, reason: 'gift card', idempotencyKey: key, requestHash: hold.requestHash });
      if (!redeemed.ok) throw new Error('expected a redemption');
      expect(await held().hold(hold)).toEqual({ ok: true, entry: redeemed.entry, hold: undefined, replayed: true });
      await expectInvariant(accountId, 400);
    });

    it('release makes it final and emits points.redeemed once; a second release or a reject then changes nothing', async () => {
      const since = new Date(Date.now() - 1000);
      const accountId = await memberWith(1000);
      const result = await held().hold(request(accountId, 600));
      if (!result.ok || !result.hold) throw new Error('expected a hold');
      const released = await held().release(result.hold.id, 'admin-client');
      expect(released).toMatchObject({ ok: true, hold: { id: result.hold.id, status: 'released', decidedBy: 'admin-client' } });
      const events = await redeemedEvents(accountId, since);
      expect(events).toHaveLength(1);
      expect(events[0]?.data).toMatchObject({ entry_id: result.entry.id, points: -600, balance: 400 });
      expect(await held().release(result.hold.id, 'admin-client')).toMatchObject({ ok: false, reason: 'decided', hold: { status: 'released' } });
      expect(await held().reject(result.hold.id, 'admin-client')).toMatchObject({ ok: false, reason: 'decided' });
      expect(await redeemedEvents(accountId, since)).toHaveLength(1);
      await expectInvariant(accountId, 400, 1000);
      expect(await held().list('held', { limit: 100 })).not.toContainEqual(expect.objectContaining({ id: result.hold.id }));
      expect((await held().list('released', { limit: 100 })).map((h) => h.id)).toContain(result.hold.id);
      expect(await held().release('hold_unknown', 'admin-client')).toEqual({ ok: false, reason: 'not_found' });
    });

    it('reject gives the points back without counting them as earned; nothing is announced', async () => {
      const since = new Date(Date.now() - 1000);
      const accountId = await memberWith(1000);
      const result = await held().hold(request(accountId, 900));
      if (!result.ok || !result.hold) throw new Error('expected a hold');
      expect(await held().reject(result.hold.id, 'admin-client')).toMatchObject({ ok: true, hold: { status: 'rejected' } });
      await expectInvariant(accountId, 1000, 1000);
      const [newest] = await storage().loyalty.listEntries(accountId, { limit: 1 });
      expect(newest).toMatchObject({ kind: 'hold_return', points: 900, balanceAfter: 1000, lifetimeAfter: 1000 });
      expect(await held().release(result.hold.id, 'admin-client')).toMatchObject({ ok: false, reason: 'decided', hold: { status: 'rejected' } });
      expect(await held().reject(result.hold.id, 'admin-client')).toMatchObject({ ok: false, reason: 'decided' });
      await expectInvariant(accountId, 1000, 1000);
      expect(await redeemedEvents(accountId, since)).toEqual([]);
    });

    it('of concurrent releases and rejects of one hold exactly one wins, and the ledger adds up', async () => {
      const since = new Date(Date.now() - 1000);
      const accountId = await memberWith(1000);
      const result = await held().hold(request(accountId, 700));
      if (!result.ok || !result.hold) throw new Error('expected a hold');
      const id = result.hold.id;
      const outcomes = await Promise.all([
        ...Array.from({ length: 4 }, () => held().release(id, 'a')),
        ...Array.from({ length: 4 }, () => held().reject(id, 'b')),
      ]);
      const winners = outcomes.filter((o) => o.ok);
      expect(winners).toHaveLength(1);
      const final = await held().find(id);
      const won = winners[0];
      if (!won?.ok) throw new Error('expected a winner');
      expect(final?.status).toBe(won.hold.status);
      if (final?.status === 'released') {
        await expectInvariant(accountId, 300, 1000);
        expect(await redeemedEvents(accountId, since)).toHaveLength(1);
      } else {
        await expectInvariant(accountId, 1000, 1000);
        expect(await redeemedEvents(accountId, since)).toEqual([]);
      }
    });

    it('concurrent releases: exactly one wins, one event', async () => {
      const since = new Date(Date.now() - 1000);
      const accountId = await memberWith(300);
      const result = await held().hold(request(accountId, 300));
      if (!result.ok || !result.hold) throw new Error('expected a hold');
      const id = result.hold.id;
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => held().release(id, 'admin')));
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(await redeemedEvents(accountId, since)).toHaveLength(1);
      await expectInvariant(accountId, 0, 300);
    });
  });
}
