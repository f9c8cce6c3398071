// Port: coupon campaigns of partners, and their uses, capped per member and in total even under concurrency.
export interface Campaign {
  /** Random id. */
  id: string;
  partnerId: string;
  /** The single code members type, upper-cased: 4-32 of A-Z, 0-9 and '-'; unique per partner. */
  code: string;
  points: number;
  perMemberLimit: number;
  totalLimit: number;
  /** Redeemable from startsAt (inclusive) until endsAt (exclusive). */
  startsAt: Date;
  endsAt: Date;
  createdAt: Date;
}

export type NewCampaign = Omit<Campaign, 'id' | 'createdAt'>;

export type CouponRedemption =
  /** useId names the use (its total slot): the ledger key of its points. */
  | { ok: true; useId: string }
  | { ok: false; reason: 'used_up' | 'member_limit' };

export interface CouponsRepository {
  /** Throws DomainError('duplicate') when the partner has a campaign with this code. */
  create(input: NewCampaign): Promise<Campaign>;
  find(id: string): Promise<Campaign | undefined>;
  findByCode(partnerId: string, code: string): Promise<Campaign | undefined>;
  /** Every partner's campaigns with this code (the hosted page takes codes of any partner). */
  findAllByCode(code: string): Promise<Campaign[]>;
  /**
   * Takes one use of the campaign for the account. Of any number of concurrent calls, never more than
   * totalLimit succeed in all, nor more than perMemberLimit for one account. The window is the caller's.
   */
  redeem(campaignId: string, accountId: string, at: Date): Promise<CouponRedemption>;
}
