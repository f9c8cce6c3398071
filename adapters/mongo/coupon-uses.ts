// Mongo coupon uses: FerretDB 1.24 applies conditional updates non-atomically, so everything taken once is a
// unique insert — the idempotency key, then the generated code, then a member slot "<campaign>:<account>:<k>",
// then a total slot "<campaign>:<n>" (the use), then the attempt's outcome, which commits it — and what was taken
// is given back when a later step fails, or by a retry when a crash left the attempt pending.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CouponRedemption, CouponUse, RedeemRequest } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { insertUnique, pairId } from './claims.ts';
import type { CouponCampaignDoc, CouponAttemptDoc, CouponCodeDoc, CouponCodeUseDoc, CouponKeyDoc, CouponModels, CouponUseDoc } from './models.ts';

/**
 * How long an attempt may stay pending (slots taken, outcome not written) before another attempt that needs what
 * it holds (a retry with its key, the member's own retry, or the code) abandons it: by then it died (a crash cut
 * it) or hangs. Abandoning is safe under an attempt that was only slow: the outcome is a unique insert, so that
 * attempt then fails to commit and gives its slots back. Well above what an attempt takes; like the ledger's wait.
 */
const PENDING_WAIT_MS = 5_000;
const POLL_CAP_MS = 100;
/** At most this many half-done redemptions of each kind are settled per sweep. */
const RECOVERY_BATCH = 100;
/** Tries of a redemption without a key whose attempts keep being abandoned (each was slower than PENDING_WAIT_MS). */
const TAKE_ATTEMPTS = 3;

/** An attempt's id starts with when it began, so whoever finds its slots can tell how long it has been pending. */
function newAttemptId(): string {
  return `${Date.now().toString(36)}.${randomUUID()}`;
}

function pendingTooLong(attemptId: string): boolean {
  return Date.now() - Number.parseInt(attemptId.slice(0, attemptId.indexOf('.')), 36) >= PENDING_WAIT_MS;
}

function backoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(POLL_CAP_MS, 2 ** attempt));
}

/** An attempt's answer; `abandoned` when a retry abandoned it while it was slow (it then took nothing). */
type Attempt = CouponRedemption | { ok: false; reason: 'abandoned' };

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
   * use and the others wait for its answer, then replay it; a request that took nothing gives its key back. A
   * claim pending PENDING_WAIT_MS (its request died or hangs) is settled by the retry itself: the use its attempt
   * committed is replayed, or the attempt is abandoned, its slots given back, and the retry takes the use.
   */
  async redeem(request: RedeemRequest): Promise<CouponRedemption> {
    const { idempotency } = request;
    if (!idempotency) return this.takeWithoutKey(request);
    for (let attempt = 0; ; attempt += 1) {
      const claim: CouponKeyDoc = { _id: idempotency.key, requestHash: idempotency.requestHash, useId: null, createdAt: new Date(), attemptId: newAttemptId() };
      if (await insertUnique(this.models.couponKeys, claim)) {
        const taken = await this.takeUnderKey(request, claim);
        // Abandoned: a retry found this attempt pending too long and settled the key; its answer is the key's.
        if (taken.ok || taken.reason !== 'abandoned') return taken;
        continue;
      }
      const earlier = await this.findUseByKey(idempotency.key);
      if (earlier) return earlier.requestHash === idempotency.requestHash ? { ok: true, use: earlier, replayed: true } : { ok: false, reason: 'idempotency_conflict' };
      const holder = await this.models.couponKeys.findById(claim._id).lean<CouponKeyDoc>().exec();
      if (!holder) continue; // its request took nothing and gave the key back: try again
      if (holder.requestHash !== idempotency.requestHash) return { ok: false, reason: 'idempotency_conflict' };
      if (holder.useId !== null) {
        // Committed since the look above: replay it next round.
        if (await this.findUseByKey(idempotency.key)) continue;
        throw new DomainError('conflict', `coupon key ${holder._id} names use ${holder.useId}, which is missing`);
      }
      if (Date.now() - holder.createdAt.getTime() >= PENDING_WAIT_MS) await this.settleKey(holder);
      else await backoff(attempt);
    }
  }

  /** The use a key's attempt committed (a use stored before attempts was final when inserted). */
  async findUseByKey(idempotencyKey: string): Promise<CouponUse | undefined> {
    const docs = await this.models.couponUses.find({ idempotencyKey, kind: 'total' }).lean<CouponUseDoc[]>().exec();
    for (const doc of docs) if (await this.isCommitted(doc)) return toUse(doc);
    return undefined;
  }

  async countUses(campaignId: string): Promise<number> {
    return this.models.couponUses.countDocuments({ campaignId, kind: 'total' }).exec();
  }

  async markCredited(useId: string, at: Date): Promise<void> {
    await this.models.couponUses.updateOne({ _id: useId, kind: 'total' }, { $set: { creditedAt: at } }).exec();
  }

  /**
   * Committed uses only (a pending attempt's slot may yet be given back). Not sorted by the server (a sort is a
   * full scan on FerretDB): the uncredited are few, so they are sorted here.
   */
  async findUncredited(olderThan: Date, limit: number): Promise<CouponUse[]> {
    const docs = await this.models.couponUses.find({ kind: 'total', creditedAt: null, createdAt: { $lt: olderThan } }).limit(limit).lean<CouponUseDoc[]>().exec();
    const committed: CouponUse[] = [];
    for (const doc of docs) if (await this.isCommitted(doc)) committed.push(toUse(doc));
    return committed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * What a crash left pending and nobody retried: keys and codes without their use, and total slots of attempts
   * never committed. Each is kept when its attempt committed (and bound to its use), else its attempt is abandoned
   * and what it took given back. Only those older than `olderThan`; retries settle younger ones themselves.
   */
  async recoverPending(olderThan: Date): Promise<number> {
    const { couponKeys, couponCodeUses, couponUses } = this.models;
    let settled = 0;
    const keys = await couponKeys.find({ useId: null, createdAt: { $lt: olderThan } }).limit(RECOVERY_BATCH).lean<CouponKeyDoc[]>().exec();
    for (const key of keys) {
      await this.settleKey(key);
      settled += 1;
    }
    const codes = await couponCodeUses.find({ useId: null, createdAt: { $lt: olderThan } }).limit(RECOVERY_BATCH).lean<CouponCodeUseDoc[]>().exec();
    for (const code of codes) {
      if (code.attemptId) {
        await this.settleAttempt(code.attemptId);
      } else {
        // Taken before attempts: its use, if it was taken, carries the code.
        const use = await couponUses.findOne({ campaignId: code.campaignId, kind: 'total', code: code.code }).lean<CouponUseDoc>().exec();
        if (use) await couponCodeUses.updateOne({ _id: code._id }, { $set: { useId: use._id } }).exec();
        else await couponCodeUses.deleteOne({ _id: code._id, useId: null }).exec();
      }
      settled += 1;
    }
    const slots = await couponUses.find({ kind: 'total', creditedAt: null, createdAt: { $lt: olderThan } }).limit(RECOVERY_BATCH).lean<CouponUseDoc[]>().exec();
    for (const slot of slots) {
      // Committed ones are recoverUncredited's to credit.
      if (!slot.attemptId || (await this.isCommitted(slot))) continue;
      await this.settleAttempt(slot.attemptId);
      settled += 1;
    }
    return settled;
  }

  /** Settles a key whose attempt stayed pending: bound to the use it committed, or given back with its slots. */
  private async settleKey(key: CouponKeyDoc): Promise<void> {
    const { couponKeys, couponUses } = this.models;
    if (key.attemptId) {
      const useId = await this.settleAttempt(key.attemptId);
      if (useId === null) await couponKeys.deleteOne({ _id: key._id, attemptId: key.attemptId, useId: null }).exec();
      else await couponKeys.updateOne({ _id: key._id, attemptId: key.attemptId }, { $set: { useId } }).exec();
      return;
    }
    // Claimed before attempts: a use carrying the key was final when inserted; without one, nothing was taken.
    const use = await couponUses.findOne({ idempotencyKey: key._id, kind: 'total' }).lean<CouponUseDoc>().exec();
    if (use) await couponKeys.updateOne({ _id: key._id }, { $set: { useId: use._id } }).exec();
    else await couponKeys.deleteOne({ _id: key._id, useId: null, createdAt: key.createdAt }).exec();
  }

  /**
   * Settles a pending attempt: its outcome is written abandoned unless it was committed first. Abandoned, what it
   * took is given back; committed, its code is bound to its use (the step a crash may have cut). Returns the use.
   */
  private async settleAttempt(attemptId: string): Promise<string | null> {
    const useId = await this.decide(attemptId, null);
    if (useId === null) await this.giveBack(attemptId);
    else await this.models.couponCodeUses.updateOne({ attemptId, useId: null }, { $set: { useId } }).exec();
    return useId;
  }

  /** Writes the attempt's outcome once; returns the one that stands (this one, or the one written first). */
  private async decide(attemptId: string, useId: string | null): Promise<string | null> {
    const outcome: CouponAttemptDoc = { _id: attemptId, useId, createdAt: new Date() };
    if (await insertUnique(this.models.couponAttempts, outcome)) return useId;
    return (await this.models.couponAttempts.findById(attemptId).lean<CouponAttemptDoc>().exec())?.useId ?? null;
  }

  /** Everything an abandoned attempt took: only its own documents (by attempt id), never a slot taken again since. */
  private async giveBack(attemptId: string): Promise<void> {
    await this.models.couponUses.deleteMany({ attemptId }).exec();
    await this.models.couponCodeUses.deleteMany({ attemptId, useId: null }).exec();
  }

  private async isCommitted(doc: CouponUseDoc): Promise<boolean> {
    if (!doc.attemptId) return true;
    return (await this.models.couponAttempts.findById(doc.attemptId).lean<CouponAttemptDoc>().exec())?.useId === doc._id;
  }

  /**
   * Waits for another attempt that holds something this one wants: 'taken' once it committed, 'free' once it let
   * go (refused, abandoned) or, pending PENDING_WAIT_MS, once this call abandoned it.
   */
  private async outlast(attemptId: string, stillHeld: () => Promise<boolean>): Promise<'taken' | 'free'> {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await this.models.couponAttempts.findById(attemptId).lean<CouponAttemptDoc>().exec();
      if (outcome) {
        if (outcome.useId !== null) return 'taken';
        await this.giveBack(attemptId); // abandoned: its settler may have been cut short too
        return 'free';
      }
      if (!(await stillHeld())) return 'free';
      if (pendingTooLong(attemptId)) return (await this.settleAttempt(attemptId)) === null ? 'free' : 'taken';
      await backoff(attempt);
    }
  }

  private async takeWithoutKey(request: RedeemRequest): Promise<CouponRedemption> {
    for (let tries = 0; tries < TAKE_ATTEMPTS; tries += 1) {
      const taken = await this.take(request, newAttemptId());
      if (taken.ok || taken.reason !== 'abandoned') return taken;
    }
    throw new DomainError('conflict', 'The coupon redemption could not finish; try again');
  }

  /** A take that throws leaves the key pending (whether its slots went in is unknown) for a retry or recoverPending(). */
  private async takeUnderKey(request: RedeemRequest, key: CouponKeyDoc): Promise<Attempt> {
    const attemptId = key.attemptId!;
    const taken = await this.take(request, attemptId);
    if (taken.ok) {
      await this.models.couponKeys.updateOne({ _id: key._id, attemptId }, { $set: { useId: taken.use.id } }).exec();
      return taken;
    }
    if (taken.reason === 'abandoned') return taken;
    // Refused by what a retry that abandoned this attempt took meanwhile (its code, its slot): the retry's answer is the key's.
    if (await this.models.couponAttempts.exists({ _id: attemptId }).exec()) return { ok: false, reason: 'abandoned' };
    await this.models.couponKeys.deleteOne({ _id: key._id, attemptId }).exec();
    return taken;
  }

  /**
   * The code's use, the member's slot, a total slot; then the campaign is read again, so a limit lowered
   * meanwhile (see MongoCouponsRepository.update) refuses a slot past it; then the outcome commits the use. Of
   * concurrent callers each slot goes to one, so no limit can be passed; whatever a refused call took is given back.
   */
  private async take(request: RedeemRequest, attemptId: string): Promise<Attempt> {
    const { campaignId, accountId, at, generatedCode, idempotency } = request;
    const { couponCampaigns, couponCodes, couponUses } = this.models;
    const campaign = await couponCampaigns.findById(campaignId).lean<CouponCampaignDoc>().exec();
    if (!campaign) return { ok: false, reason: 'used_up' };
    const taken: Array<() => Promise<unknown>> = [];
    const refuse = async (reason: Refusal['reason']): Promise<Refusal> => {
      for (const giveBack of taken.reverse()) await giveBack();
      return { ok: false, reason };
    };

    const codeId = generatedCode === undefined ? undefined : pairId(campaign.partnerId, generatedCode);
    if (generatedCode !== undefined && codeId !== undefined) {
      const code = await couponCodes.findById(codeId).lean<CouponCodeDoc>().exec();
      // A code of another campaign has no use to give here.
      if (code?.campaignId !== campaignId) return { ok: false, reason: 'code_used' };
      const codeUse: CouponCodeUseDoc = { _id: codeId, campaignId, code: generatedCode, accountId, useId: null, createdAt: new Date(), attemptId };
      if (!(await this.takeCode(codeUse))) return { ok: false, reason: 'code_used' };
      // Conditional on the attempt: a retry that abandoned this attempt may have given the code to someone since.
      taken.push(() => this.models.couponCodeUses.deleteOne({ _id: codeId, attemptId, useId: null }).exec());
    }

    const base = { campaignId, accountId, createdAt: at, attemptId };
    // A member slot given back leaves a hole, so member slots are probed from 1 (the limit is small); one held by
    // a pending attempt of this member (a crash's leftover, or a twin request) is waited out before refusing.
    const memberSlot = await this.takeSlot(0, campaign.perMemberLimit, (k) => ({ ...base, _id: `${campaignId}:${accountId}:${k}`, kind: 'member' }), true);
    if (!memberSlot) return refuse('member_limit');
    taken.push(() => couponUses.deleteOne({ _id: memberSlot.doc._id, attemptId }).exec());
    // Total slots are given back only past a lowered limit: 1..count are taken, so probing starts after them.
    const use = (n: number): CouponUseDoc => ({
      ...base, _id: `${campaignId}:${n}`, kind: 'total', code: generatedCode ?? campaign.code, points: campaign.points,
      idempotencyKey: idempotency?.key ?? null, requestHash: idempotency?.requestHash ?? null, creditedAt: null,
    });
    const totalSlot = await this.takeSlot(await this.countUses(campaignId), campaign.totalLimit, use, false);
    if (!totalSlot) return refuse('used_up');
    taken.push(() => couponUses.deleteOne({ _id: totalSlot.doc._id, attemptId }).exec());

    const now = await couponCampaigns.findById(campaignId).lean<CouponCampaignDoc>().exec();
    if (!now || totalSlot.n > now.totalLimit) return refuse('used_up');
    if (memberSlot.n > now.perMemberLimit) return refuse('member_limit');
    if ((await this.decide(attemptId, totalSlot.doc._id)) !== totalSlot.doc._id) {
      // A retry abandoned this attempt (it was pending too long): it gave back, or will give back, what was taken.
      await this.giveBack(attemptId);
      return { ok: false, reason: 'abandoned' };
    }
    if (codeId !== undefined) await this.models.couponCodeUses.updateOne({ _id: codeId, attemptId }, { $set: { useId: totalSlot.doc._id } }).exec();
    return { ok: true, use: toUse(totalSlot.doc), replayed: false };
  }

  /**
   * Inserts the generated code's use. Held by another member's live attempt, or used, the code is taken; held by a
   * pending attempt of this member (a retry after a crash) or one pending too long, that attempt is waited out.
   */
  private async takeCode(codeUse: CouponCodeUseDoc): Promise<boolean> {
    const { couponCodeUses } = this.models;
    for (;;) {
      if (await insertUnique(couponCodeUses, codeUse)) return true;
      const holder = await couponCodeUses.findById(codeUse._id).lean<CouponCodeUseDoc>().exec();
      if (!holder) continue; // given back meanwhile
      // Used, or held since before attempts (the sweep settles those).
      if (holder.useId !== null || !holder.attemptId) return false;
      const holderAttempt = holder.attemptId;
      if (holder.accountId !== codeUse.accountId && !pendingTooLong(holderAttempt)) return false;
      const held = async () => (await couponCodeUses.exists({ _id: codeUse._id, attemptId: holderAttempt }).exec()) !== null;
      if ((await this.outlast(holderAttempt, held)) === 'taken') return false;
    }
  }

  /**
   * The first slot after `taken` up to limit that this call inserted, if any, with its number. With `outlast`,
   * when every slot is held, slots held by pending attempts are waited out (those attempts may give them back).
   */
  private async takeSlot(taken: number, limit: number, slot: (n: number) => CouponUseDoc, outlast: boolean): Promise<{ n: number; doc: CouponUseDoc } | undefined> {
    for (let n = taken + 1; n <= limit; n += 1) {
      const doc = slot(n);
      if (await insertUnique(this.models.couponUses, doc)) return { n, doc };
    }
    if (!outlast) return undefined;
    for (let n = 1; n <= limit; n += 1) {
      const doc = slot(n);
      for (;;) {
        const holder = await this.models.couponUses.findById(doc._id).lean<CouponUseDoc>().exec();
        if (holder) {
          const holderAttempt = holder.attemptId;
          if (!holderAttempt) break; // taken before attempts: final
          const held = async () => (await this.models.couponUses.exists({ _id: doc._id, attemptId: holderAttempt }).exec()) !== null;
          if ((await this.outlast(holderAttempt, held)) === 'taken') break;
        }
        if (await insertUnique(this.models.couponUses, doc)) return { n, doc };
      }
    }
    return undefined;
  }
}
