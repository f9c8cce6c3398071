// Contract: CouponsRepository generated codes, idempotency keys and uncredited uses — codes unique per partner
// (also against its single codes), each used once even by concurrent members, limits still holding, one use
// per idempotency key under concurrent retries, and the recovery of a use whose credit a crash cut short.
import { randomUUID } from 'node:crypto';
import { drawCode } from '../../server/domain/coupons/coupon-rules.ts';
import { couponLedgerKey, CouponService } from '../../server/domain/coupons/coupon-service.ts';
import type { NewGeneratedCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { LoyaltyService } from '../../server/domain/loyalty/loyalty-service.ts';
import { AT, campaign } from './coupons.contract.ts';
import { expectDomainError, useStorage, type OpenStorage } from './harness.ts';

const generated = (over: Partial<NewGeneratedCampaign> = {}): NewGeneratedCampaign => {
  const { code: _code, ...base } = campaign();
  return { ...base, codePattern: 'GEN-########', codeCount: 5, totalLimit: 5, perMemberLimit: 5, ...over };
};

/** A draw that gives `codes` in turn, then random ones from the pattern. */
function drawing(codes: string[], pattern = 'GEN-########'): () => string {
  const queue = [...codes];
  return () => queue.shift() ?? drawCode(pattern);
}

export function describeCouponCodesContract(open: OpenStorage): void {
  describe('coupon codes, keys and uncredited uses', () => {
    const storage = useStorage(open);
    const coupons = () => storage().coupons;
    const redeemCode = (campaignId: string, accountId: string, generatedCode: string) => coupons().redeem({ campaignId, accountId, at: AT, generatedCode });

    it('creates a campaign with as many distinct codes as asked, found by partner and code and paged in code order', async () => {
      const input = generated({ codeCount: 25, totalLimit: 20 });
      const { campaign: created, codes } = await coupons().createGenerated(input, () => drawCode(input.codePattern));
      expect(created).toMatchObject({ code: null, codePattern: 'GEN-########', codeCount: 25, totalLimit: 20, endedAt: null });
      expect(await coupons().find(created.id)).toEqual(created);
      expect(new Set(codes).size).toBe(25);
      expect(codes.every((code) => /^GEN-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/.test(code))).toBe(true);
      expect(await coupons().findCode(input.partnerId, codes[0]!)).toEqual({ code: codes[0], partnerId: input.partnerId, campaignId: created.id, usedAt: null });
      expect(await coupons().findCode(randomUUID(), codes[0]!)).toBeUndefined();

      const sorted = [...codes].sort();
      const first = await coupons().listCodes(created.id, { limit: 10 });
      expect(first.map((code) => code.code)).toEqual(sorted.slice(0, 10));
      const pages = [first];
      while (pages.at(-1)!.length === 10) pages.push(await coupons().listCodes(created.id, { limit: 10, after: pages.at(-1)!.at(-1)!.code }));
      expect(pages.flat().map((code) => code.code)).toEqual(sorted);
      expect(await coupons().listCodes(randomUUID(), { limit: 10 })).toEqual([]);
    });

    it('draws again for a code the partner has (generated or single), not for another partner\'s', async () => {
      const partnerId = randomUUID();
      await coupons().create(campaign({ partnerId, code: 'GEN-SINGLE11' }));
      const { codes: firstCodes } = await coupons().createGenerated(generated({ partnerId, codeCount: 2, totalLimit: 2 }), drawing(['GEN-AAAAAAAA', 'GEN-AAAAAAAA', 'GEN-BBBBBBBB']));
      expect(firstCodes.sort()).toEqual(['GEN-AAAAAAAA', 'GEN-BBBBBBBB']);
      const { codes } = await coupons().createGenerated(generated({ partnerId, codeCount: 2, totalLimit: 2 }), drawing(['GEN-AAAAAAAA', 'GEN-SINGLE11', 'GEN-CCCCCCCC', 'GEN-DDDDDDDD']));
      expect(codes.sort()).toEqual(['GEN-CCCCCCCC', 'GEN-DDDDDDDD']);
      const other = await coupons().createGenerated(generated({ codeCount: 1, totalLimit: 1 }), drawing(['GEN-AAAAAAAA']));
      expect(other.codes).toEqual(['GEN-AAAAAAAA']);
      expect((await coupons().findCodes('GEN-AAAAAAAA')).map((code) => code.partnerId).sort()).toEqual([partnerId, other.campaign.partnerId].sort());
      // And a single code may not spell one of the partner's generated codes.
      await expectDomainError(coupons().create(campaign({ partnerId, code: 'GEN-CCCCCCCC' })), 'duplicate');
      expect(await coupons().create(campaign({ code: 'GEN-CCCCCCCC' }))).toMatchObject({ code: 'GEN-CCCCCCCC' });
    });

    it('gives up on a pattern whose draws keep colliding, leaving no campaign', async () => {
      const partnerId = randomUUID();
      await coupons().createGenerated(generated({ partnerId, codeCount: 1, totalLimit: 1 }), () => 'GEN-SAMESAME');
      await expectDomainError(coupons().createGenerated(generated({ partnerId, codeCount: 3, totalLimit: 3 }), () => 'GEN-SAMESAME'), 'conflict');
      expect(await coupons().list(partnerId, { limit: 10 })).toHaveLength(1);
    });

    it('uses each generated code once; a code of another campaign gives nothing', async () => {
      const { campaign: created, codes } = await coupons().createGenerated(generated({ points: 25 }), drawing([]));
      const [a, b] = [randomUUID(), randomUUID()];
      const first = await redeemCode(created.id, a, codes[0]!);
      expect(first).toMatchObject({ ok: true, replayed: false, use: { campaignId: created.id, accountId: a, code: codes[0], points: 25 } });
      expect(await redeemCode(created.id, b, codes[0]!)).toEqual({ ok: false, reason: 'code_used' });
      expect(await redeemCode(created.id, a, codes[0]!)).toEqual({ ok: false, reason: 'code_used' });
      expect((await coupons().findCode(created.partnerId, codes[0]!))?.usedAt).toBeInstanceOf(Date);
      expect((await coupons().listCodes(created.id, { limit: 10 })).filter((code) => code.usedAt !== null).map((code) => code.code)).toEqual([codes[0]]);

      const { codes: others } = await coupons().createGenerated(generated({ partnerId: created.partnerId }), drawing([]));
      expect(await redeemCode(created.id, b, others[0]!)).toEqual({ ok: false, reason: 'code_used' });
      expect(await redeemCode(created.id, b, 'GEN-NOTACODE')).toEqual({ ok: false, reason: 'code_used' });
      expect((await coupons().findCode(created.partnerId, others[0]!))?.usedAt).toBeNull();
      expect(await coupons().countUses(created.id)).toBe(1);
    });

    it('of 20 concurrent redemptions of one code, exactly one succeeds', async () => {
      const { campaign: created, codes } = await coupons().createGenerated(generated({ codeCount: 3, totalLimit: 3 }), drawing([]));
      const results = await Promise.all(Array.from({ length: 20 }, () => redeemCode(created.id, randomUUID(), codes[1]!)));
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok && result.reason === 'code_used')).toHaveLength(19);
      expect(await coupons().countUses(created.id)).toBe(1);
    });

    it('still holds the per-member and total limits, and a code refused by a limit stays usable', async () => {
      const { campaign: created, codes } = await coupons().createGenerated(generated({ codeCount: 4, totalLimit: 3, perMemberLimit: 2 }), drawing([]));
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      expect((await redeemCode(created.id, a, codes[0]!)).ok).toBe(true);
      expect((await redeemCode(created.id, a, codes[1]!)).ok).toBe(true);
      expect(await redeemCode(created.id, a, codes[2]!)).toEqual({ ok: false, reason: 'member_limit' });
      expect((await coupons().findCode(created.partnerId, codes[2]!))?.usedAt).toBeNull();
      expect((await redeemCode(created.id, b, codes[2]!)).ok).toBe(true);
      expect(await redeemCode(created.id, c, codes[3]!)).toEqual({ ok: false, reason: 'used_up' });
      expect((await coupons().findCode(created.partnerId, codes[3]!))?.usedAt).toBeNull();
    });

    it('one use per idempotency key: the same request replays it, another is a conflict, a refusal leaves the key unused', async () => {
      const single = await coupons().create(campaign({ code: 'KEYED-1', totalLimit: 1, perMemberLimit: 1 }));
      const [a, b] = [randomUUID(), randomUUID()];
      const key = { key: `partner:${randomUUID()}`, requestHash: 'hash-a' };
      const first = await coupons().redeem({ campaignId: single.id, accountId: a, at: AT, idempotency: key });
      if (!first.ok) throw new Error('the first use was refused');
      expect(first.use).toMatchObject({ idempotencyKey: key.key, requestHash: 'hash-a' });
      expect(await coupons().redeem({ campaignId: single.id, accountId: a, at: AT, idempotency: key })).toEqual({ ...first, replayed: true });
      expect(await coupons().redeem({ campaignId: single.id, accountId: b, at: AT, idempotency: { ...key, requestHash: 'hash-b' } })).toEqual({ ok: false, reason: 'idempotency_conflict' });
      expect(await coupons().findUseByKey(key.key)).toEqual(first.use);
      expect(await coupons().findUseByKey('partner:no-such-key')).toBeUndefined();

      const refusedKey = { key: `partner:${randomUUID()}`, requestHash: 'hash-c' };
      expect(await coupons().redeem({ campaignId: single.id, accountId: b, at: AT, idempotency: refusedKey })).toEqual({ ok: false, reason: 'used_up' });
      expect(await coupons().findUseByKey(refusedKey.key)).toBeUndefined();
      await coupons().update(single.partnerId, single.id, { totalLimit: 2 });
      expect(await coupons().redeem({ campaignId: single.id, accountId: b, at: AT, idempotency: refusedKey })).toMatchObject({ ok: true, replayed: false });
      expect(await coupons().countUses(single.id)).toBe(2);
    });

    it('of concurrent retries with one key, one takes a use and the others replay it', async () => {
      const { campaign: created, codes } = await coupons().createGenerated(generated({ codeCount: 5, totalLimit: 5 }), drawing([]));
      const accountId = randomUUID();
      const key = { key: `partner:${randomUUID()}`, requestHash: 'same' };
      const results = await Promise.all(Array.from({ length: 10 }, () => coupons().redeem({ campaignId: created.id, accountId, at: AT, generatedCode: codes[0], idempotency: key })));
      expect(results.every((result) => result.ok)).toBe(true);
      expect(results.filter((result) => result.ok && !result.replayed)).toHaveLength(1);
      expect(new Set(results.map((result) => (result.ok ? result.use.id : '')))).toEqual(new Set([(await coupons().findUseByKey(key.key))!.id]));
      expect(await coupons().countUses(created.id)).toBe(1);
    });

    it('lists uses not marked credited that are older than the cutoff, oldest first', async () => {
      const created = await coupons().create(campaign({ code: 'UNCREDITED', totalLimit: 5, perMemberLimit: 5 }));
      const accountId = randomUUID();
      const takenAt = [new Date('2026-06-01T00:00:00Z'), new Date('2026-05-01T00:00:00Z')];
      const ids = [];
      for (const at of takenAt) {
        const taken = await coupons().redeem({ campaignId: created.id, accountId, at });
        if (!taken.ok) throw new Error('use refused');
        ids.push(taken.use.id);
      }
      const mine = async (olderThan: Date) => (await coupons().findUncredited(olderThan, 1000)).filter((use) => use.campaignId === created.id).map((use) => use.id);
      expect(await mine(new Date('2026-07-01T00:00:00Z'))).toEqual([ids[1], ids[0]]);
      expect(await mine(new Date('2026-05-15T00:00:00Z'))).toEqual([ids[1]]);
      await coupons().markCredited(ids[1]!, new Date());
      expect(await mine(new Date('2026-07-01T00:00:00Z'))).toEqual([ids[0]]);
      expect(await coupons().recoverPending(new Date())).toBe(0);
    });

    it('recovery credits a use taken without its earn, once, and only marks one whose earn went through', async () => {
      const loyalty = new LoyaltyService(storage().loyalty);
      const service = new CouponService(coupons(), loyalty);
      const created = await coupons().create(campaign({ code: 'RECOVER-1', points: 45, totalLimit: 5, perMemberLimit: 5 }));
      const [cut, paid] = [randomUUID(), randomUUID()];
      // As a process that died between taking the use and its earn would leave it.
      const taken = await coupons().redeem({ campaignId: created.id, accountId: cut, at: AT });
      if (!taken.ok) throw new Error('use refused');
      // And one whose earn went in, the process dying before it marked the use.
      const other = await coupons().redeem({ campaignId: created.id, accountId: paid, at: AT });
      if (!other.ok) throw new Error('use refused');
      await loyalty.ensureMember(paid);
      await loyalty.earn({ accountId: paid, points: 45, partnerId: created.partnerId, reason: 'coupon RECOVER-1', idempotencyKey: couponLedgerKey(created.id, other.use.id) });

      // Too young for the cutoff: not touched.
      await service.recoverUncredited(new Date(AT.getTime() - 1000));
      expect(await storage().loyalty.findMember(cut)).toBeUndefined();

      const recovered = await service.recoverUncredited(new Date(AT.getTime() + 1000), 1000);
      expect(recovered.failed).toBe(0);
      expect(recovered.credited).toBeGreaterThanOrEqual(1);
      const entry = await storage().loyalty.findEntryByKey(couponLedgerKey(created.id, taken.use.id));
      expect(entry).toMatchObject({ accountId: cut, kind: 'earn', points: 45, partnerId: created.partnerId, reason: 'coupon RECOVER-1' });
      expect(await storage().loyalty.findMember(cut)).toMatchObject({ balance: 45 });
      expect(await storage().loyalty.findMember(paid)).toMatchObject({ balance: 45 });
      const left = (await coupons().findUncredited(new Date(AT.getTime() + 1000), 1000)).filter((use) => use.campaignId === created.id);
      expect(left).toEqual([]);
      expect(await service.recoverUncredited(new Date(AT.getTime() + 1000), 1000)).toMatchObject({ failed: 0 });
      expect(await storage().loyalty.sumEntries(cut)).toBe(45);
    });
  });
}
