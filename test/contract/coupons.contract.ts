// Contract: CouponsRepository campaigns — one code per partner, one live single code across partners (also
// against concurrent creations and revivals), uses that never pass either limit, a partner's listing, changes
// that keep the limits true (also against uses racing them), and ending a campaign once.
import { randomUUID } from 'node:crypto';
import type { NewCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { useStorage, type OpenStorage } from './harness.ts';

export const campaign = (over: Partial<NewCampaign> = {}): NewCampaign => ({
  partnerId: randomUUID(),
  code: 'SUMMER-24',
  points: 50,
  perMemberLimit: 1,
  totalLimit: 10,
  startsAt: new Date('2026-01-01T00:00:00Z'),
  endsAt: new Date('2027-01-01T00:00:00Z'),
  ...over,
});

export const AT = new Date('2026-06-01T00:00:00Z');

/** The one answer to a code another partner's live campaign holds (coupon-rules.ts codeTaken). */
export async function expectCodeTaken(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'DomainError', code: 'conflict', details: { reason: 'code_taken' } });
}

export function describeCouponsContract(open: OpenStorage): void {
  describe('coupons', () => {
    const storage = useStorage(open);
    const coupons = () => storage().coupons;
    const redeem = (campaignId: string, accountId: string) => coupons().redeem({ campaignId, accountId, at: AT });

    it('creates a campaign and finds it by id and by (partner, code)', async () => {
      const input = campaign();
      const created = await coupons().create(input);
      expect(created).toMatchObject({ ...input, codePattern: null, codeCount: 0, endedAt: null });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await coupons().find(created.id)).toEqual(created);
      expect(await coupons().findByCode(input.partnerId, 'SUMMER-24')).toEqual(created);
      expect(await coupons().findByCode(randomUUID(), 'SUMMER-24')).toBeUndefined();
      expect(await coupons().find(randomUUID())).toBeUndefined();
    });

    it('refuses a second campaign with the same code for one partner; for another only while the first is live', async () => {
      const first = await coupons().create(campaign({ code: 'DUP-CODE' }), AT);
      await expect(coupons().create(campaign({ partnerId: first.partnerId, code: 'DUP-CODE' }), AT)).rejects.toMatchObject({ code: 'duplicate' });
      await expect(coupons().create(campaign({ partnerId: first.partnerId, code: 'DUP-CODE' }), AT)).rejects.toBeInstanceOf(DomainError);
      await expectCodeTaken(coupons().create(campaign({ code: 'DUP-CODE' }), AT));
      // Once the first campaign's window is over, the code is another partner's to take.
      const other = await coupons().create(campaign({ code: 'DUP-CODE', startsAt: first.endsAt, endsAt: new Date('2028-01-01T00:00:00Z') }), first.endsAt);
      expect((await coupons().findAllByCode('DUP-CODE')).map((c) => c.id).sort()).toEqual([first.id, other.id].sort());
    });

    it('gives distinct uses up to the per-member and the total limit, each recording its code and points', async () => {
      const created = await coupons().create(campaign({ code: 'LIMITS-1', points: 70, perMemberLimit: 2, totalLimit: 3 }));
      const [a, b] = [randomUUID(), randomUUID()];
      const first = await redeem(created.id, a);
      const second = await redeem(created.id, a);
      if (!first.ok || !second.ok) throw new Error('the first two uses were refused');
      expect(first.use.id).not.toBe(second.use.id);
      expect(first).toEqual({
        ok: true,
        replayed: false,
        use: { id: first.use.id, campaignId: created.id, accountId: a, code: 'LIMITS-1', points: 70, idempotencyKey: null, requestHash: null, createdAt: AT, creditedAt: null },
      });
      expect(await redeem(created.id, a)).toEqual({ ok: false, reason: 'member_limit' });
      expect((await redeem(created.id, b)).ok).toBe(true);
      expect(await redeem(created.id, b)).toEqual({ ok: false, reason: 'used_up' });
      expect(await coupons().countUses(created.id)).toBe(3);
      expect(await redeem(randomUUID(), b)).toEqual({ ok: false, reason: 'used_up' });
    });

    it('never passes either limit under concurrency', async () => {
      const created = await coupons().create(campaign({ code: 'RACE-USES', perMemberLimit: 2, totalLimit: 12 }));
      const members = Array.from({ length: 10 }, () => randomUUID());
      const attempts = Array.from({ length: 30 }, (_, i) => members[i % 10]!);
      const results = await Promise.all(attempts.map(async (accountId) => ({ accountId, result: await redeem(created.id, accountId) })));
      const won = results.filter(({ result }) => result.ok);
      expect(won).toHaveLength(12);
      expect(new Set(won.map(({ result }) => (result.ok ? result.use.id : ''))).size).toBe(12);
      for (const member of members) expect(won.filter(({ accountId }) => accountId === member).length).toBeLessThanOrEqual(2);
      expect((await redeem(created.id, randomUUID())).ok).toBe(false);
      expect(await coupons().countUses(created.id)).toBe(12);
    });

    it('lists only the partner\'s campaigns, oldest first, in pages', async () => {
      const partnerId = randomUUID();
      const mine = [];
      for (let i = 0; i < 5; i += 1) mine.push(await coupons().create(campaign({ partnerId, code: `LIST-${i}` })));
      await coupons().create(campaign({ code: 'LIST-OTHER' }));
      // Oldest first; campaigns made in the same millisecond in id order.
      mine.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
      const first = await coupons().list(partnerId, { limit: 3 });
      expect(first).toEqual(mine.slice(0, 3));
      const rest = await coupons().list(partnerId, { limit: 3, after: first.at(-1)!.id });
      expect(rest).toEqual(mine.slice(3));
      expect(await coupons().list(partnerId, { limit: 3, after: mine[4]!.id })).toEqual([]);
      expect(await coupons().list(randomUUID(), { limit: 10 })).toEqual([]);
      // A cursor that is not one of the partner's campaigns gives nothing (not someone else's page).
      const foreign = await coupons().create(campaign({ code: 'LIST-X' }));
      expect(await coupons().list(partnerId, { limit: 10, after: foreign.id })).toEqual([]);
      expect(await coupons().list(partnerId, { limit: 10, after: 'no-such-id' })).toEqual([]);
    });

    it('changes points, limits and the window, but never for another partner', async () => {
      const created = await coupons().create(campaign({ code: 'CHANGE-1' }));
      const changed = await coupons().update(created.partnerId, created.id, {
        points: 80, perMemberLimit: 3, totalLimit: 20, endsAt: new Date('2028-01-01T00:00:00Z'),
      });
      expect(changed).toEqual({ ok: true, campaign: { ...created, points: 80, perMemberLimit: 3, totalLimit: 20, endsAt: new Date('2028-01-01T00:00:00Z') } });
      expect(await coupons().find(created.id)).toEqual(changed.ok && changed.campaign);
      expect(await coupons().update(randomUUID(), created.id, { points: 1 })).toEqual({ ok: false, reason: 'not_found' });
      expect(await coupons().update(created.partnerId, randomUUID(), { points: 1 })).toEqual({ ok: false, reason: 'not_found' });
      expect((await coupons().find(created.id))?.points).toBe(80);
    });

    it('refuses a total limit below the uses taken, a window out of order, and any change once ended', async () => {
      const created = await coupons().create(campaign({ code: 'CHANGE-2', perMemberLimit: 5 }));
      for (let i = 0; i < 3; i += 1) expect((await redeem(created.id, randomUUID())).ok).toBe(true);
      expect(await coupons().update(created.partnerId, created.id, { totalLimit: 2 })).toEqual({ ok: false, reason: 'below_uses' });
      expect(await coupons().update(created.partnerId, created.id, { totalLimit: 3 })).toMatchObject({ ok: true, campaign: { totalLimit: 3 } });
      expect(await redeem(created.id, randomUUID())).toEqual({ ok: false, reason: 'used_up' });
      expect(await coupons().update(created.partnerId, created.id, { startsAt: new Date('2027-06-01T00:00:00Z') })).toEqual({ ok: false, reason: 'window' });
      expect(await coupons().update(created.partnerId, created.id, { endsAt: created.startsAt })).toEqual({ ok: false, reason: 'window' });
      expect(await coupons().find(created.id)).toMatchObject({ totalLimit: 3, startsAt: created.startsAt, endsAt: created.endsAt });

      const endedAt = new Date('2026-07-01T00:00:00Z');
      expect(await coupons().end(created.partnerId, created.id, endedAt)).toMatchObject({ id: created.id, endedAt });
      expect(await coupons().update(created.partnerId, created.id, { points: 5 })).toEqual({ ok: false, reason: 'ended' });
    });

    it('ends a campaign once: a second end keeps the first time; another partner cannot end it', async () => {
      const created = await coupons().create(campaign({ code: 'END-1' }));
      expect(await coupons().end(randomUUID(), created.id, AT)).toBeUndefined();
      expect(await coupons().end(created.partnerId, randomUUID(), AT)).toBeUndefined();
      expect((await coupons().find(created.id))?.endedAt).toBeNull();
      const first = new Date('2026-07-01T00:00:00Z');
      expect(await coupons().end(created.partnerId, created.id, first)).toEqual({ ...created, endedAt: first });
      expect(await coupons().end(created.partnerId, created.id, new Date('2026-08-01T00:00:00Z'))).toEqual({ ...created, endedAt: first });
      expect(await coupons().find(created.id)).toEqual({ ...created, endedAt: first });
      expect(await coupons().findByCode(created.partnerId, 'END-1')).toEqual({ ...created, endedAt: first });
      expect(await coupons().list(created.partnerId, { limit: 5 })).toEqual([{ ...created, endedAt: first }]);
    });

    it('lowering the total limit while uses race it: never more uses than the limit that stands', async () => {
      const created = await coupons().create(campaign({ code: 'RACE-LIMIT', totalLimit: 30 }));
      const [changed, ...results] = await Promise.all([
        // Start the lowering among the uses rather than before them.
        new Promise((resolve) => setTimeout(resolve, 5)).then(() => coupons().update(created.partnerId, created.id, { totalLimit: 6 })),
        ...Array.from({ length: 30 }, () => redeem(created.id, randomUUID())),
      ]);
      const uses = await coupons().countUses(created.id);
      const limit = (await coupons().find(created.id))!.totalLimit;
      expect(uses).toBeLessThanOrEqual(limit);
      expect(results.filter((result) => result.ok)).toHaveLength(uses);
      expect(limit).toBe(changed.ok ? 6 : 30);
    });

    describe('one live single code across partners', () => {
      /** Of the settled calls, how many went through, and whether every other one was refused as code_taken. */
      const tally = (results: PromiseSettledResult<unknown>[]) => ({
        won: results.filter((result) => result.status === 'fulfilled').length,
        othersTaken: results.every((result) => result.status === 'fulfilled'
          || (result.reason instanceof DomainError && result.reason.code === 'conflict' && result.reason.details?.reason === 'code_taken')),
      });

      it('of 10 partners creating one code at once, exactly one gets it', async () => {
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => coupons().create(campaign({ code: 'RACE-CODE' }), AT)));
        expect(tally(results)).toEqual({ won: 1, othersTaken: true });
        expect(await coupons().findAllByCode('RACE-CODE')).toHaveLength(1);
      });

      it('an upcoming campaign holds its code; ending it frees the code for another partner at once', async () => {
        const upcoming = await coupons().create(campaign({ code: 'HOLD-END', startsAt: new Date('2026-09-01T00:00:00Z') }), AT);
        await expectCodeTaken(coupons().create(campaign({ code: 'HOLD-END' }), AT));
        await coupons().end(upcoming.partnerId, upcoming.id, AT);
        expect(await coupons().create(campaign({ code: 'HOLD-END' }), AT)).toMatchObject({ code: 'HOLD-END', endedAt: null });
      });

      it('moving the end to the past frees the code; moving it back while another partner holds it is code_taken', async () => {
        const first = await coupons().create(campaign({ code: 'MOVE-END' }), AT);
        const past = new Date(AT.getTime() - 1000);
        expect(await coupons().update(first.partnerId, first.id, { endsAt: past }, AT)).toMatchObject({ ok: true, campaign: { endsAt: past } });
        const second = await coupons().create(campaign({ code: 'MOVE-END' }), AT);
        await expectCodeTaken(coupons().update(first.partnerId, first.id, { endsAt: new Date('2027-06-01T00:00:00Z') }, AT));
        expect(await coupons().find(first.id)).toMatchObject({ endsAt: past });
        // Changes that leave the end alone, and the holder's own changes of its end, are not refused.
        expect(await coupons().update(first.partnerId, first.id, { points: 9 }, AT)).toMatchObject({ ok: true });
        expect(await coupons().update(second.partnerId, second.id, { endsAt: new Date('2027-06-01T00:00:00Z') }, AT)).toMatchObject({ ok: true });
        // Once the second is over, the first may come back.
        const after = new Date('2027-06-01T00:00:00Z');
        expect(await coupons().update(first.partnerId, first.id, { endsAt: new Date('2028-01-01T00:00:00Z') }, after)).toMatchObject({ ok: true });
        await expectCodeTaken(coupons().create(campaign({ code: 'MOVE-END' }), after));
      });

      it('a revival racing other partners\' creations of its code: exactly one holds it', async () => {
        for (let round = 0; round < 3; round += 1) {
          const code = `REVIVE-RACE-${round}`;
          const old = await coupons().create(campaign({ code, startsAt: new Date('2025-01-01T00:00:00Z'), endsAt: new Date('2026-01-01T00:00:00Z') }), AT);
          const results = await Promise.allSettled([
            coupons().update(old.partnerId, old.id, { endsAt: new Date('2027-06-01T00:00:00Z') }, AT),
            ...Array.from({ length: 4 }, () => coupons().create(campaign({ code }), AT)),
          ]);
          expect(tally(results)).toEqual({ won: 1, othersTaken: true });
          const live = (await coupons().findAllByCode(code)).filter((one) => !one.endedAt && AT < one.endsAt);
          expect(live).toHaveLength(1);
        }
      });
    });
  });
}
