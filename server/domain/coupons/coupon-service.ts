// Coupons: a partner's campaign gives points for a code; a use is taken first (capped), then credited
// with one ledger earn keyed by the use, so a retry of the credit cannot pay twice.
import { DomainError } from '../errors.ts';
import type { LoyaltyService } from '../loyalty/loyalty-service.ts';
import type { Campaign, CouponsRepository, NewCampaign } from './coupons.repository.ts';

export type CouponProblem = 'unknown' | 'not_started' | 'expired' | 'used_up' | 'member_limit';

export type CouponResult = { ok: true; campaign: Campaign; points: number; entryId: string; balance: number } | { ok: false; reason: CouponProblem };

export function couponLedgerKey(campaignId: string, useId: string): string {
  return `coupon:${campaignId}:${useId}`;
}

export class CouponService {
  private readonly repository: CouponsRepository;
  private readonly loyalty: LoyaltyService;

  constructor(repository: CouponsRepository, loyalty: LoyaltyService) {
    this.repository = repository;
    this.loyalty = loyalty;
  }

  createCampaign(input: NewCampaign): Promise<Campaign> {
    return this.repository.create(input);
  }

  findByCode(partnerId: string, code: string): Promise<Campaign | undefined> {
    return this.repository.findByCode(partnerId, code);
  }

  /** The campaign a member means by a code of any partner: an open one if there is one. */
  async findAnyByCode(code: string, at: Date): Promise<Campaign | undefined> {
    const campaigns = await this.repository.findAllByCode(code);
    return campaigns.find((campaign) => campaign.startsAt <= at && at < campaign.endsAt) ?? campaigns[0];
  }

  async redeem(campaign: Campaign | undefined, accountId: string, at = new Date()): Promise<CouponResult> {
    if (!campaign) return { ok: false, reason: 'unknown' };
    if (at < campaign.startsAt) return { ok: false, reason: 'not_started' };
    if (at >= campaign.endsAt) return { ok: false, reason: 'expired' };
    const use = await this.repository.redeem(campaign.id, accountId, at);
    if (!use.ok) return use;
    await this.loyalty.ensureMember(accountId);
    const posted = await this.loyalty.earn({
      accountId,
      points: campaign.points,
      partnerId: campaign.partnerId,
      reason: `coupon ${campaign.code}`,
      idempotencyKey: couponLedgerKey(campaign.id, use.useId),
    });
    if (!posted.ok) throw new DomainError('conflict', `coupon use ${use.useId} could not be credited: ${posted.reason}`);
    return { ok: true, campaign, points: campaign.points, entryId: posted.entry.id, balance: posted.entry.balanceAfter };
  }
}
