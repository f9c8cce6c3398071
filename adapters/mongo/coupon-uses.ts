// Mongo coupon uses: FerretDB 1.24 applies conditional updates non-atomically, so everything taken once is a
// unique insert — the idempotency key, then the generated code, then a member slot "<campaign>:<account>:<k>",
// then a total slot "<campaign>:<n>" (the use) — and what was taken is given back when a later step fails.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CouponRedemption, CouponUse, RedeemRequest } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { insertUnique, pairId } from './claims.ts';
import type { CouponCampaignDoc, CouponCodeDoc, CouponCodeUseDoc, CouponKeyDoc, CouponModels, CouponUseDoc } from './models.ts';

/** How long a retry waits for the request holding its key before answering a retryable conflict. */
const PENDING_WAIT_MS = 15_000;
const POLL_CAP_MS = 100;
/** At most this many half-done redemptions are settled per sweep. */
const RECOVERY_BATCH = 100;

function toUse(doc: CouponUseDoc): CouponUse {
  return {
    id: doc._id,
    campaignId: doc.campaignId,
    accountId: doc.accountId,
    code: doc.code ?? null,
    points: doc.points ?? null,
    idempotencyKey: doc.idempotencyKey ?? null,
    requestHash: doc.requestHash ?? null,
    createdAt: doc.createdAt,
    creditedAt: doc.creditedAt ?? null,
  };
}

type Refusal = Extract<CouponRedemption, { ok: false }>;

export class MongoCouponUses {
  private readonly models: CouponModels;

  constructor(models: CouponModels) {
    this.models = models;
  }

  /**
   * Without a key, takes the use at once. With one, claims the key first: of concurrent retries one takes the
   * use and the others wait for its answer, then replay it; a request that took nothing gives its key back.
   */
  async redeem(request: RedeemRequest): Promise<CouponRedemption> {
    const { idempotency } = request;
    if (!idempotency) return this.take(request);
    for (let attempt = 0; ; attempt += 1) {
      const claim: CouponKeyDoc = { _id: idempotency.key, requestHash: idempotency.requestHash, useId: null, createdAt: new Date() };
      if (await insertUnique(this.models.couponKeys, claim)) return this.takeUnderKey(request, claim._id);
      const earlier = await this.findUseByKey(idempotency.key);
      if (earlier) return earlier.requestHash === idempotency.requestHash ? { ok: true, use: earlier, replayed: true } : { ok: false, reason: 'idempotency_conflict' };
      const holder = await this.models.couponKeys.findById(claim._id).lean<CouponKeyDoc>().exec();
      if (!holder) continue; // its request took nothing and gave the key back: try again
      if (holder.requestHash !== idempotency.requestHash) return { ok: false, reason: 'idempotency_conflict' };
      if (Date.now() - holder.createdAt.getTime() > PENDING_WAIT_MS) {
        throw new DomainError('conflict', 'A request with this Idempotency-Key is still in progress; try again later');
      }
      await sleep(Math.random() * Math.min(POLL_CAP_MS, 2 ** attempt));
    }
  }

  async findUseByKey(idempotencyKey: string): Promise<CouponUse | undefined> {
    const doc = await this.models.couponUses.findOne({ idempotencyKey, kind: 'total' }).lean<CouponUseDoc>().exec();
    return doc ? toUse(doc) : undefined;
  }

  async countUses(campaignId: string): Promise<number> {
    return this.models.couponUses.countDocuments({ campaignId, kind: 'total' }).exec();
  }

  async markCredited(useId: string, at: Date): Promise<void> {
    await this.models.couponUses.updateOne({ _id: useId, kind: 'total' }, { $set: { creditedAt: at } }).exec();
  }

  /** Not sorted by the server (a sort is a full scan on FerretDB): the uncredited are few, so they are sorted here. */
  async findUncredited(olderThan: Date, limit: number): Promise<CouponUse[]> {
    const docs = await this.models.couponUses.find({ kind: 'total', creditedAt: null, createdAt: { $lt: olderThan } }).limit(limit).lean<CouponUseDoc[]>().exec();
    return docs.map(toUse).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * Claims of a key or of a generated code that a crash left without their use's id: settled with the use that
   * carries the key or the code if it was taken, else given back so the partner's retry or another member can
   * have it. Only claims older than `olderThan`: younger ones may belong to a request still in flight.
   */
  async recoverPending(olderThan: Date): Promise<number> {
    const { couponKeys, couponCodeUses, couponUses } = this.models;
    let settled = 0;
    const keys = await couponKeys.find({ useId: null, createdAt: { $lt: olderThan } }).limit(RECOVERY_BATCH).lean<CouponKeyDoc[]>().exec();
    for (const key of keys) {
      const use = await couponUses.findOne({ idempotencyKey: key._id, kind: 'total' }).lean<CouponUseDoc>().exec();
      if (use) await couponKeys.updateOne({ _id: key._id }, { $set: { useId: use._id } }).exec();
      else await couponKeys.deleteOne({ _id: key._id, useId: null }).exec();
      settled += 1;
    }
    const codes = await couponCodeUses.find({ useId: null, createdAt: { $lt: olderThan } }).limit(RECOVERY_BATCH).lean<CouponCodeUseDoc[]>().exec();
    for (const code of codes) {
      const use = await couponUses.findOne({ campaignId: code.campaignId, kind: 'total', code: code.code }).lean<CouponUseDoc>().exec();
      if (use) await couponCodeUses.updateOne({ _id: code._id }, { $set: { useId: use._id } }).exec();
      else await couponCodeUses.deleteOne({ _id: code._id, useId: null }).exec();
      settled += 1;
    }
    return settled;
  }

  /** A take that throws leaves the key pending (whether its slots went in is unknown) for recoverPending(). */
  private async takeUnderKey(request: RedeemRequest, key: string): Promise<CouponRedemption> {
    const taken = await this.take(request);
    if (!taken.ok) await this.models.couponKeys.deleteOne({ _id: key }).exec();
    else await this.models.couponKeys.updateOne({ _id: key }, { $set: { useId: taken.use.id } }).exec();
    return taken;
  }

  /**
   * The code's use, the member's slot, a total slot; then the campaign is read again, so a limit lowered
   * meanwhile (see MongoCouponsRepository.update) refuses a slot past it. Of concurrent callers each slot goes to
   * one, so no limit can be passed; whatever a refused call took is given back.
   */
  private async take(request: RedeemRequest): Promise<CouponRedemption> {
    const { campaignId, accountId, at, generatedCode, idempotency } = request;
    const { couponCampaigns, couponCodes, couponCodeUses, couponUses } = this.models;
    const campaign = await couponCampaigns.findById(campaignId).lean<CouponCampaignDoc>().exec();
    if (!campaign) return { ok: false, reason: 'used_up' };
    const taken: Array<() => Promise<unknown>> = [];
    const refuse = async (reason: Refusal['reason']): Promise<Refusal> => {
      for (const giveBack of taken.reverse()) await giveBack();
      return { ok: false, reason };
    };

    if (generatedCode !== undefined) {
      const id = pairId(campaign.partnerId, generatedCode);
      const code = await couponCodes.findById(id).lean<CouponCodeDoc>().exec();
      // A code of another campaign has no use to give here.
      if (code?.campaignId !== campaignId) return { ok: false, reason: 'code_used' };
      const codeUse: CouponCodeUseDoc = { _id: id, campaignId, code: generatedCode, accountId, useId: null, createdAt: new Date() };
      if (!(await insertUnique(couponCodeUses, codeUse))) return { ok: false, reason: 'code_used' };
      taken.push(() => couponCodeUses.deleteOne({ _id: id, useId: null }).exec());
    }

    const base = { campaignId, accountId, createdAt: at };
    // A member slot given back leaves a hole, so member slots are probed from 1 (the limit is small).
    const memberSlot = await this.takeSlot(0, campaign.perMemberLimit, (k) => ({ ...base, _id: `${campaignId}:${accountId}:${k}`, kind: 'member' }));
    if (!memberSlot) return refuse('member_limit');
    taken.push(() => couponUses.deleteOne({ _id: memberSlot.doc._id }).exec());
    // Total slots are given back only past a lowered limit: 1..count are taken, so probing starts after them.
    const use = (n: number): CouponUseDoc => ({
      ...base, _id: `${campaignId}:${n}`, kind: 'total', code: generatedCode ?? campaign.code, points: campaign.points,
      idempotencyKey: idempotency?.key ?? null, requestHash: idempotency?.requestHash ?? null, creditedAt: null,
    });
    const totalSlot = await this.takeSlot(await this.countUses(campaignId), campaign.totalLimit, use);
    if (!totalSlot) return refuse('used_up');
    taken.push(() => couponUses.deleteOne({ _id: totalSlot.doc._id }).exec());

    const now = await couponCampaigns.findById(campaignId).lean<CouponCampaignDoc>().exec();
    if (!now || totalSlot.n > now.totalLimit) return refuse('used_up');
    if (memberSlot.n > now.perMemberLimit) return refuse('member_limit');
    if (generatedCode !== undefined) await couponCodeUses.updateOne({ _id: pairId(campaign.partnerId, generatedCode) }, { $set: { useId: totalSlot.doc._id } }).exec();
    return { ok: true, use: toUse(totalSlot.doc), replayed: false };
  }

  /** The first slot after `taken` up to limit that this call inserted, if any, with its number. */
  private async takeSlot(taken: number, limit: number, slot: (n: number) => CouponUseDoc): Promise<{ n: number; doc: CouponUseDoc } | undefined> {
    for (let n = taken + 1; n <= limit; n += 1) {
      const doc = slot(n);
      if (await insertUnique(this.models.couponUses, doc)) return { n, doc };
    }
    return undefined;
  }
}
