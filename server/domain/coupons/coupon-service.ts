// Coupons: a partner's campaign gives points for a code (its single code, or one of its generated codes); a use
// is taken first (capped), then credited with one ledger earn keyed by the use, so a retry of the credit cannot
// pay twice and a credit a crash cut short can be made later under the same key.
import { DomainError } from '../errors.ts';
import type { LoyaltyService } from '../loyalty/loyalty-service.ts';
import type { StaffRepository } from '../staff/staff.repository.ts';
import { codeTaken, drawCode, isLiveCampaign } from './coupon-rules.ts';
import type {
  Campaign, CampaignChanges, CampaignUpdate, CouponsRepository, CouponUse, GeneratedCode, NewCampaign, NewGeneratedCampaign, Page,
} from './coupons.repository.ts';

/** `frozen`: staff froze the member's redemptions (issue 20); nothing is taken until they lift it. */
export type CouponProblem = 'unknown' | 'not_started' | 'expired' | 'used_up' | 'member_limit' | 'code_used' | 'frozen';

export type CouponResult =
  | { ok: true; campaign: Campaign; points: number; entryId: string; balance: number; replayed: boolean }
  | { ok: false; reason: CouponProblem };

/** What a typed code names: a campaign, and the generated code when it is one. */
export interface CouponTarget {
  campaign: Campaign;
  generatedCode?: string;
}

export interface RedeemOptions {
  at?: Date;
  /** The caller's key, already scoped to the caller, and the hash of what it asked (requestHash in loyalty-service.ts). */
  idempotency?: { key: string; requestHash: string };
}

/** Members whose redemptions staff froze (issue 20). */
export type RedemptionFreezes = Pick<StaffRepository, 'findRedemptionFreeze'>;

export function couponLedgerKey(campaignId: string, useId: string): string {
  return `coupon:${campaignId}:${useId}`;
}

const isOpen = (campaign: Campaign, at: Date) => !campaign.endedAt && campaign.startsAt <= at && at < campaign.endsAt;

export class CouponService {
  private readonly repository: CouponsRepository;
  private readonly loyalty: LoyaltyService;
  private readonly freezes: RedemptionFreezes | undefined;

  constructor(repository: CouponsRepository, loyalty: LoyaltyService, freezes?: RedemptionFreezes) {
    this.repository = repository;
    this.loyalty = loyalty;
    this.freezes = freezes;
  }

  /**
   * A campaign with one code. Members type codes on the hosted page without naming a partner, so a code held by
   * another partner's open or upcoming campaign is refused (409): otherwise a partner could squat a rival's
   * printed code and take its redemptions (the page answers with the first open campaign). Against other single
   * codes the repository decides, atomically (two partners creating one code at one instant: one wins); against
   * generated codes this check suffices, as no partner can aim at a code it cannot guess.
   */
  async createCampaign(input: NewCampaign, at = new Date()): Promise<Campaign> {
    if (await this.generatedByOtherPartner(input.code, input.partnerId, at)) throw codeTaken();
    return this.repository.create(input, at);
  }

  /**
   * A campaign of generated codes, with every code (the only time they are all handed out in one answer).
   * Not checked against other partners code by code: each code has at least MIN_RANDOM_CHARACTERS (40 bits)
   * drawn by the CSPRNG, so no partner can aim one at another's code, and a later single code that spells
   * another partner's live generated code is refused by createCampaign.
   */
  createGeneratedCampaign(input: NewGeneratedCampaign): Promise<{ campaign: Campaign; codes: string[] }> {
    return this.repository.createGenerated(input, () => drawCode(input.codePattern));
  }

  /** The partner's campaign; another partner's is not found, like one that does not exist. */
  async find(partnerId: string, id: string): Promise<Campaign | undefined> {
    const campaign = await this.repository.find(id);
    return campaign?.partnerId === partnerId ? campaign : undefined;
  }

  list(partnerId: string, page: Page): Promise<Campaign[]> {
    return this.repository.list(partnerId, page);
  }

  countUses(campaignId: string): Promise<number> {
    return this.repository.countUses(campaignId);
  }

  /**
   * Changes a campaign. Moving the end of a single-code campaign into the future revives its code, so it is
   * refused (409) while another partner's open or upcoming campaign holds that code (a single code: checked by the
   * repository, atomically; a generated one: here).
   */
  async update(partnerId: string, id: string, changes: CampaignChanges, at = new Date()): Promise<CampaignUpdate> {
    if (changes.endsAt !== undefined && changes.endsAt > at) {
      const campaign = await this.find(partnerId, id);
      if (campaign?.code && !campaign.endedAt && await this.generatedByOtherPartner(campaign.code, partnerId, at)) throw codeTaken();
    }
    return this.repository.update(partnerId, id, changes, at);
  }

  end(partnerId: string, id: string, at = new Date()): Promise<Campaign | undefined> {
    return this.repository.end(partnerId, id, at);
  }

  listCodes(campaignId: string, page: Page): Promise<GeneratedCode[]> {
    return this.repository.listCodes(campaignId, page);
  }

  /** What one of the partner's codes names (its single codes first, then its generated ones). */
  async resolve(partnerId: string, code: string): Promise<CouponTarget | undefined> {
    const campaign = await this.repository.findByCode(partnerId, code);
    if (campaign) return { campaign };
    const generated = await this.repository.findCode(partnerId, code);
    return generated ? this.targetOf(generated) : undefined;
  }

  /** What a member means by a code of any partner: an open campaign if one has the code, else any that has it. */
  async resolveAny(code: string, at: Date): Promise<CouponTarget | undefined> {
    const [singles, generated] = await Promise.all([this.repository.findAllByCode(code), this.repository.findCodes(code)]);
    const targets: CouponTarget[] = singles.map((campaign) => ({ campaign }));
    for (const found of generated) {
      const target = await this.targetOf(found);
      if (target) targets.push(target);
    }
    return targets.find(({ campaign }) => isOpen(campaign, at)) ?? targets[0];
  }

  async redeem(target: CouponTarget | undefined, accountId: string, options: RedeemOptions = {}): Promise<CouponResult> {
    const at = options.at ?? new Date();
    const { idempotency } = options;
    // A retry is answered from the use its key took, whatever became of the code or the window since.
    const earlier = idempotency ? await this.repository.findUseByKey(idempotency.key) : undefined;
    if (earlier) return this.replay(earlier, idempotency!.requestHash);
    if (this.freezes && (await this.freezes.findRedemptionFreeze(accountId))) return { ok: false, reason: 'frozen' };
    if (!target) return { ok: false, reason: 'unknown' };
    const { campaign } = target;
    if (at < campaign.startsAt) return { ok: false, reason: 'not_started' };
    if (campaign.endedAt || at >= campaign.endsAt) return { ok: false, reason: 'expired' };
    const taken = await this.repository.redeem({ campaignId: campaign.id, accountId, at, generatedCode: target.generatedCode, idempotency });
    if (!taken.ok) {
      if (taken.reason === 'idempotency_conflict') throw idempotencyConflict();
      return { ok: false, reason: taken.reason };
    }
    return this.credit(campaign, taken.use, taken.replayed);
  }

  /**
   * Credits uses a crash left without their ledger earn (taken, the process died before the earn): each older
   * than `olderThan` and not marked credited is earned under its own key, so a use whose earn did go through is
   * only marked. Returns how many were credited now and how many could not be.
   */
  async recoverUncredited(olderThan: Date, limit = 100): Promise<{ credited: number; failed: number }> {
    let credited = 0;
    let failed = 0;
    for (const use of await this.repository.findUncredited(olderThan, limit)) {
      try {
        const campaign = await this.repository.find(use.campaignId);
        if (!campaign) throw new Error(`coupon use ${use.id} has no campaign`);
        if (await this.loyalty.entryByKey(couponLedgerKey(campaign.id, use.id))) {
          await this.repository.markCredited(use.id, new Date());
          continue;
        }
        await this.credit(campaign, use, false);
        credited += 1;
      } catch {
        // One use that cannot be credited (its member gone, say) must not hold up the others; it is tried again next sweep.
        failed += 1;
      }
    }
    return { credited, failed };
  }

  /** Whether another partner's open or upcoming campaign answers to this code as one of its generated codes. */
  private async generatedByOtherPartner(code: string, partnerId: string, at: Date): Promise<boolean> {
    for (const found of (await this.repository.findCodes(code)).filter((one) => one.partnerId !== partnerId)) {
      const campaign = await this.repository.find(found.campaignId);
      if (campaign && isLiveCampaign(campaign, at)) return true;
    }
    return false;
  }

  private async targetOf(generated: GeneratedCode): Promise<CouponTarget | undefined> {
    const campaign = await this.repository.find(generated.campaignId);
    return campaign ? { campaign, generatedCode: generated.code } : undefined;
  }

  private async replay(use: CouponUse, requestHash: string): Promise<CouponResult> {
    if (use.requestHash !== requestHash) throw idempotencyConflict();
    const campaign = await this.repository.find(use.campaignId);
    if (!campaign) throw new DomainError('conflict', `coupon use ${use.id} has no campaign`);
    return this.credit(campaign, use, true);
  }

  /**
   * One earn under the use's key, worth what the use recorded (a later change of the campaign's points does not
   * reach a use already taken): again for a replay, which then gets the original entry back.
   */
  private async credit(campaign: Campaign, use: CouponUse, replayed: boolean): Promise<CouponResult> {
    const points = use.points ?? campaign.points;
    await this.loyalty.ensureMember(use.accountId);
    const posted = await this.loyalty.earn({
      accountId: use.accountId,
      points,
      partnerId: campaign.partnerId,
      reason: `coupon ${use.code ?? campaign.code ?? ''}`,
      idempotencyKey: couponLedgerKey(campaign.id, use.id),
    });
    if (!posted.ok) throw new DomainError('conflict', `coupon use ${use.id} could not be credited: ${posted.reason}`);
    // Only bookkeeping for the recovery sweep, which checks the ledger before crediting: a failure here costs nothing.
    if (!use.creditedAt) await this.repository.markCredited(use.id, new Date()).catch(() => undefined);
    return { ok: true, campaign, points, entryId: posted.entry.id, balance: posted.entry.balanceAfter, replayed };
  }
}

function idempotencyConflict(): DomainError {
  return new DomainError('idempotency_conflict', 'this Idempotency-Key was used for a different request');
}
