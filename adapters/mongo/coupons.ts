// Mongo coupons: FerretDB 1.24 applies conditional updates non-atomically, so each limit is a set of
// slots taken by unique inserts — "<campaign>:<account>:<k>" per member, then "<campaign>:<n>" in total.
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { Campaign, CouponRedemption, CouponsRepository, NewCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { insertUnique } from './claims.ts';
import { isDuplicateKey } from './errors.ts';
import type { CouponCampaignDoc, CouponUseDoc } from './models.ts';

function toCampaign({ _id: id, ...rest }: CouponCampaignDoc): Campaign {
  return { id, ...rest };
}

export class MongoCouponsRepository implements CouponsRepository {
  private readonly campaigns: Model<CouponCampaignDoc>;
  private readonly uses: Model<CouponUseDoc>;

  constructor(campaigns: Model<CouponCampaignDoc>, uses: Model<CouponUseDoc>) {
    this.campaigns = campaigns;
    this.uses = uses;
  }

  async create(input: NewCampaign): Promise<Campaign> {
    const doc: CouponCampaignDoc = { _id: randomUUID(), ...input, createdAt: new Date() };
    try {
      await this.campaigns.create(doc);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DomainError('duplicate', 'this partner has a campaign with this code', { cause: error });
      throw error;
    }
    return toCampaign(doc);
  }

  async find(id: string): Promise<Campaign | undefined> {
    const doc = await this.campaigns.findById(id).lean<CouponCampaignDoc>().exec();
    return doc ? toCampaign(doc) : undefined;
  }

  async findByCode(partnerId: string, code: string): Promise<Campaign | undefined> {
    const doc = await this.campaigns.findOne({ partnerId, code }).lean<CouponCampaignDoc>().exec();
    return doc ? toCampaign(doc) : undefined;
  }

  async findAllByCode(code: string): Promise<Campaign[]> {
    const docs = await this.campaigns.find({ code }).sort({ createdAt: 1, _id: 1 }).lean<CouponCampaignDoc[]>().exec();
    return docs.map(toCampaign);
  }

  /**
   * The member's slot first, then a total slot; a member slot whose total slot could not be had is given
   * back. Of concurrent callers each slot goes to one, so neither limit can be passed.
   */
  async redeem(campaignId: string, accountId: string, at: Date): Promise<CouponRedemption> {
    const campaign = await this.campaigns.findById(campaignId).lean<CouponCampaignDoc>().exec();
    if (!campaign) return { ok: false, reason: 'used_up' };
    const base = { campaignId, accountId, createdAt: at };
    // A member slot given back leaves a hole, so member slots are probed from 1 (the limit is small).
    const memberSlot = await this.takeSlot(
      0, campaign.perMemberLimit,
      (k) => ({ ...base, _id: `${campaignId}:${accountId}:${k}`, kind: 'member' }),
    );
    if (!memberSlot) return { ok: false, reason: 'member_limit' };
    // Total slots are never given back: 1..count are taken, so probing starts after them.
    const totalSlot = await this.takeSlot(
      await this.uses.countDocuments({ campaignId, kind: 'total' }).exec(), campaign.totalLimit,
      (n) => ({ ...base, _id: `${campaignId}:${n}`, kind: 'total' }),
    );
    if (totalSlot) return { ok: true, useId: totalSlot };
    await this.uses.deleteOne({ _id: memberSlot });
    return { ok: false, reason: 'used_up' };
  }

  /** The _id of the first slot after `taken` up to limit that this call inserted, if any. */
  private async takeSlot(taken: number, limit: number, slot: (n: number) => CouponUseDoc): Promise<string | undefined> {
    for (let n = taken + 1; n <= limit; n += 1) {
      const doc = slot(n);
      if (await insertUnique(this.uses, doc)) return doc._id;
    }
    return undefined;
  }
}
