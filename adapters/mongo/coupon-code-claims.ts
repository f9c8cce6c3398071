// Mongo claims of live single coupon codes across partners: one partner's campaign at a time holds a code, with no
// transaction. A claim is a chain of generations (_id "<code>:<gen>"), each inserted once and never changed nor
// deleted; the highest is the claim, and taking a code over is inserting the next generation. A unique insert is
// atomic on FerretDB 1.24; deleting a stale claim to insert afresh is not: FerretDB matches the delete's filter,
// then deletes by _id, so a slow taker could delete the fresh claim a faster one had made since.
import type { Campaign } from '../../server/domain/coupons/coupons.repository.ts';
import { codeTaken, isLiveCampaign } from '../../server/domain/coupons/coupon-rules.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { insertUnique } from './claims.ts';
import type { CouponCodeClaimDoc, CouponModels } from './models.ts';

/**
 * A claim whose campaign is missing, or does not (yet) say what the claim says, holds its code by its own end for
 * this long after it was made: long enough for the campaign's write to land, short enough that a process that
 * died in between does not block the code for long.
 */
export const CLAIM_GRACE_MS = 5 * 60 * 1000;

/** Rounds of losing a generation to another claimer before answering as if the code were taken. */
const MAX_ROUNDS = 5;

export interface ClaimHolder {
  campaignId: string;
  partnerId: string;
}

export class CouponCodeClaims {
  private readonly models: CouponModels;
  private readonly graceMs: number;
  private readonly campaignOf: (id: string) => Promise<Campaign | undefined>;

  constructor(models: CouponModels, campaignOf: (id: string) => Promise<Campaign | undefined>, graceMs = CLAIM_GRACE_MS) {
    this.models = models;
    this.campaignOf = campaignOf;
    this.graceMs = graceMs;
  }

  /**
   * Claims the code for the holder's campaign until `endsAt`. Throws codeTaken() while another partner's campaign
   * holds it, DomainError('duplicate') while another campaign of the same partner does. A claim the campaign
   * holds already is renewed with the new end (a new generation, never an update), so a revival holds the code
   * before its campaign's new end is written, and nobody can take it over in between.
   */
  async claim(code: string, holder: ClaimHolder, endsAt: Date, at: Date): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const current = await this.latest(code);
      if (current && current.campaignId !== holder.campaignId && await this.holds(current, at)) {
        if (current.partnerId === holder.partnerId) throw new DomainError('duplicate', 'this partner has a campaign with this code');
        throw codeTaken();
      }
      if (await this.insert(code, (current?.gen ?? 0) + 1, holder, endsAt, at)) return;
      // Another claimer inserted this generation first: it is judged in the next round.
    }
    // Only a storm of claimers of one code gets here; refusing is the safe answer (the partner may try again).
    throw codeTaken();
  }

  /**
   * Gives the code back up to `endsAt` (a campaign never written, or whose end moved to `endsAt`): a next generation
   * with that end, when the campaign's claim is still the latest. Losing that insert means another claimer took
   * the code meanwhile, which leaves nothing to give back.
   */
  async release(code: string, holder: ClaimHolder, endsAt: Date, at: Date): Promise<void> {
    const current = await this.latest(code);
    if (current?.campaignId !== holder.campaignId) return;
    await this.insert(code, current.gen + 1, holder, endsAt, at);
  }

  private async latest(code: string): Promise<CouponCodeClaimDoc | undefined> {
    const [doc] = await this.models.couponCodeClaims.find({ code }).sort({ gen: -1 }).limit(1).lean<CouponCodeClaimDoc[]>().exec();
    return doc;
  }

  /**
   * Whether a claim still holds its code at `at`: its campaign is live; or, while the claim is young, the claim's
   * own end is still to come (the campaign not written yet, or its new end not yet). An ended campaign holds
   * nothing: an end is final, no change can undo it (checkChanges refuses any).
   */
  private async holds(claim: CouponCodeClaimDoc, at: Date): Promise<boolean> {
    const campaign = await this.campaignOf(claim.campaignId);
    if (campaign?.endedAt) return false;
    if (campaign && isLiveCampaign(campaign, at)) return true;
    return at < claim.endsAt && claim.createdAt.getTime() > at.getTime() - this.graceMs;
  }

  private insert(code: string, gen: number, holder: ClaimHolder, endsAt: Date, at: Date): Promise<boolean> {
    return insertUnique(this.models.couponCodeClaims, { _id: `${code}:${gen}`, code, gen, ...holder, endsAt, createdAt: at });
  }
}
