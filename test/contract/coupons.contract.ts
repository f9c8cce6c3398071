// Contract: CouponsRepository — campaigns with one code per partner, and uses that never pass either limit.
import { randomUUID } from 'node:crypto';
import type { NewCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { useStorage, type OpenStorage } from './harness.ts';

const campaign = (over: Partial<NewCampaign> = {}): NewCampaign => ({
  partnerId: randomUUID(),
  code: 'SUMMER-24',
  points: 50,
  perMemberLimit: 1,
  totalLimit: 10,
  startsAt: new Date('2026-01-01T00:00:00Z'),
  endsAt: new Date('2027-01-01T00:00:00Z'),
  ...over,
});

export function describeCouponsContract(open: OpenStorage): void {
  describe('coupons', () => {
    const storage = useStorage(open);
    const coupons = () => storage().coupons;
    const at = new Date('2026-06-01T00:00:00Z');

    it('creates a campaign and finds it by id and by (partner, code)', async () => {
      const input = campaign();
      const created = await coupons().create(input);
      expect(created).toMatchObject(input);
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await coupons().find(created.id)).toEqual(created);
      expect(await coupons().findByCode(input.partnerId, 'SUMMER-24')).toEqual(created);
      expect(await coupons().findByCode(randomUUID(), 'SUMMER-24')).toBeUndefined();
      expect(await coupons().find(randomUUID())).toBeUndefined();
    });

    it('refuses a second campaign with the same code for one partner, not for another', async () => {
      const first = await coupons().create(campaign({ code: 'DUP-CODE' }));
      await expect(coupons().create(campaign({ partnerId: first.partnerId, code: 'DUP-CODE' }))).rejects.toMatchObject({ code: 'duplicate' });
      await expect(coupons().create(campaign({ partnerId: first.partnerId, code: 'DUP-CODE' }))).rejects.toBeInstanceOf(DomainError);
      const other = await coupons().create(campaign({ code: 'DUP-CODE' }));
      expect((await coupons().findAllByCode('DUP-CODE')).map((c) => c.id).sort()).toEqual([first.id, other.id].sort());
    });

    it('gives distinct uses up to the per-member and the total limit', async () => {
      const created = await coupons().create(campaign({ perMemberLimit: 2, totalLimit: 3 }));
      const [a, b] = [randomUUID(), randomUUID()];
      const first = await coupons().redeem(created.id, a, at);
      const second = await coupons().redeem(created.id, a, at);
      expect(first.ok && second.ok && first.useId !== second.useId).toBe(true);
      expect(await coupons().redeem(created.id, a, at)).toEqual({ ok: false, reason: 'member_limit' });
      expect((await coupons().redeem(created.id, b, at)).ok).toBe(true);
      expect(await coupons().redeem(created.id, b, at)).toEqual({ ok: false, reason: 'used_up' });
    });

    it('never passes either limit under concurrency', async () => {
      const created = await coupons().create(campaign({ perMemberLimit: 2, totalLimit: 12 }));
      const members = Array.from({ length: 10 }, () => randomUUID());
      const attempts = Array.from({ length: 30 }, (_, i) => members[i % 10]!);
      const results = await Promise.all(attempts.map(async (accountId) => ({ accountId, result: await coupons().redeem(created.id, accountId, at) })));
      const won = results.filter(({ result }) => result.ok);
      expect(won).toHaveLength(12);
      expect(new Set(won.map(({ result }) => (result.ok ? result.useId : ''))).size).toBe(12);
      for (const member of members) expect(won.filter(({ accountId }) => accountId === member).length).toBeLessThanOrEqual(2);
      expect((await coupons().redeem(created.id, randomUUID(), at)).ok).toBe(false);
    });
  });
}
