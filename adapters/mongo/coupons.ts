// Mongo coupons: campaigns, their generated codes (one document per (partner, code), so each exists once) and
// campaign ends; uses are taken by coupon-uses.ts, live single codes across partners by coupon-code-claims.ts.
// No transactions: a generated campaign's codes go in first and the campaign last, so a campaign that can be
// found has all its codes; a single code's claim goes in before its campaign.
import { randomUUID } from 'node:crypto';
import { checkChanges, codeTaken, isLiveCampaign } from '../../server/domain/coupons/coupon-rules.ts';
import type {
  Campaign, CampaignChanges, CampaignUpdate, CouponRedemption, CouponsRepository, CouponUse, GeneratedCode, NewCampaign,
  NewGeneratedCampaign, Page, RedeemRequest,
} from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { insertUnique, pairId } from './claims.ts';
import { CLAIM_GRACE_MS, CouponCodeClaims } from './coupon-code-claims.ts';
import { MongoCouponUses } from './coupon-uses.ts';
import { isDuplicateKey } from './errors.ts';
import type { CouponCampaignDoc, CouponCampaignEndDoc, CouponCodeDoc, CouponCodeUseDoc, CouponModels } from './models.ts';

/** Codes inserted per round trip: 10,000 codes are ten inserts. */
const CODE_BATCH = 1000;
/** Rounds of drawing again for codes that were taken before a pattern counts as too crowded to fill. */
const DRAW_ROUNDS = 5;
/** Draws allowed beyond twice the codes wanted in one batch. */
const SPARE_DRAWS = 100;

function toCampaign(doc: CouponCampaignDoc, end: CouponCampaignEndDoc | null | undefined): Campaign {
  const { _id: id, code, codePattern, codeCount, ...rest } = doc;
  const pattern = codePattern ?? null;
  return { id, ...rest, code: pattern === null ? code : null, codePattern: pattern, codeCount: codeCount ?? 0, endedAt: end?.endedAt ?? null };
}

export interface MongoCouponsOptions {
  /** How long a claim of a code whose campaign is missing still holds it (CLAIM_GRACE_MS unless a test says). */
  claimGraceMs?: number;
}

export class MongoCouponsRepository implements CouponsRepository {
  private readonly models: CouponModels;
  private readonly uses: MongoCouponUses;
  private readonly claims: CouponCodeClaims;

  constructor(models: CouponModels, options: MongoCouponsOptions = {}) {
    this.models = models;
    this.uses = new MongoCouponUses(models);
    this.claims = new CouponCodeClaims(models, (id) => this.find(id), options.claimGraceMs ?? CLAIM_GRACE_MS);
  }

  /**
   * The code is claimed across partners first (a unique insert: of concurrent creations of one code by different
   * partners one wins), then the campaign is written; the unique index refuses a second campaign of the partner
   * with the code. A generated code spelled so is looked for first (only a generated campaign drawing this very
   * code at this very moment could slip past). A claim whose campaign could not be written is given back.
   */
  async create(input: NewCampaign, at = new Date()): Promise<Campaign> {
    const message = 'this partner has a campaign with this code';
    await this.refuseUnclaimedHolders(input.code, input.partnerId, at);
    if (await this.models.couponCodes.exists({ _id: pairId(input.partnerId, input.code) }).exec()) throw new DomainError('duplicate', message);
    if (await this.models.couponCampaigns.exists({ partnerId: input.partnerId, code: input.code }).exec()) throw new DomainError('duplicate', message);
    const doc: CouponCampaignDoc = { _id: randomUUID(), ...input, codePattern: null, codeCount: 0, createdAt: new Date() };
    const holder = { campaignId: doc._id, partnerId: input.partnerId };
    await this.claims.claim(input.code, holder, input.endsAt, at);
    try {
      await this.models.couponCampaigns.create(doc);
    } catch (error) {
      await this.claims.release(input.code, holder, at, at).catch(() => undefined);
      if (isDuplicateKey(error)) throw new DomainError('duplicate', message, { cause: error });
      throw error;
    }
    return toCampaign(doc, null);
  }

  async createGenerated(input: NewGeneratedCampaign, draw: () => string): Promise<{ campaign: Campaign; codes: string[] }> {
    const id = randomUUID();
    const createdAt = new Date();
    const codes = new Set<string>();
    for (let round = 0; codes.size < input.codeCount; round += 1) {
      if (round >= DRAW_ROUNDS) throw new DomainError('conflict', 'too many drawn codes were taken already: use a pattern with more random characters');
      const batch = new Set<string>();
      const want = Math.min(CODE_BATCH, input.codeCount - codes.size);
      // Bounded: a draw that keeps repeating itself ends in the conflict above, not in a loop.
      for (let draws = 0; batch.size < want && draws < 2 * want + SPARE_DRAWS; draws += 1) {
        const code = draw();
        if (!codes.has(code)) batch.add(code);
      }
      for (const code of await this.insertCodes(input.partnerId, id, [...batch], createdAt)) codes.add(code);
    }
    const doc: CouponCampaignDoc = {
      _id: id, partnerId: input.partnerId, code: `#${id}`, codePattern: input.codePattern, codeCount: input.codeCount, points: input.points,
      perMemberLimit: input.perMemberLimit, totalLimit: input.totalLimit, startsAt: input.startsAt, endsAt: input.endsAt, createdAt,
    };
    await this.models.couponCampaigns.create(doc);
    return { campaign: toCampaign(doc, null), codes: [...codes] };
  }

  async find(id: string): Promise<Campaign | undefined> {
    const doc = await this.models.couponCampaigns.findById(id).lean<CouponCampaignDoc>().exec();
    return doc ? (await this.withEnds([doc]))[0] : undefined;
  }

  async findByCode(partnerId: string, code: string): Promise<Campaign | undefined> {
    const doc = await this.models.couponCampaigns.findOne({ partnerId, code }).lean<CouponCampaignDoc>().exec();
    return doc ? (await this.withEnds([doc]))[0] : undefined;
  }

  async findAllByCode(code: string): Promise<Campaign[]> {
    const docs = await this.models.couponCampaigns.find({ code }).lean<CouponCampaignDoc[]>().exec();
    return (await this.withEnds(docs)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  /** Sorted by the server, but over the partner's own campaigns only (the filter bounds it on FerretDB). */
  async list(partnerId: string, page: Page): Promise<Campaign[]> {
    let filter: Record<string, unknown> = { partnerId };
    if (page.after) {
      const cursor = await this.models.couponCampaigns.findOne({ _id: page.after, partnerId }).lean<CouponCampaignDoc>().exec();
      if (!cursor) return [];
      filter = { partnerId, $or: [{ createdAt: { $gt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $gt: cursor._id } }] };
    }
    const docs = await this.models.couponCampaigns.find(filter).sort({ createdAt: 1, _id: 1 }).limit(page.limit).lean<CouponCampaignDoc[]>().exec();
    return this.withEnds(docs);
  }

  /**
   * Checked against the uses taken, written, then the uses counted again: a use that read the old limit and took
   * a slot before the write is seen by the second count (its own re-read after its slot sees the write
   * otherwise, see coupon-uses.ts), and a lowering it undercut is undone and refused. An end moved past `at`
   * claims the code again before it is written (renewing the campaign's own claim, or taking over a stale one),
   * so it is refused while another partner holds the code; an end moved to `at` or before gives the claim back
   * once written.
   */
  async update(partnerId: string, id: string, changes: CampaignChanges, at = new Date()): Promise<CampaignUpdate> {
    const campaign = await this.find(id);
    if (!campaign || campaign.partnerId !== partnerId) return { ok: false, reason: 'not_found' };
    const checked = checkChanges(campaign, changes, await this.uses.countUses(id));
    if (!checked.ok) return checked;
    const { code } = checked.campaign;
    const holder = { campaignId: id, partnerId };
    const moved = changes.endsAt !== undefined && code !== null;
    const claims = moved && checked.campaign.endsAt > at;
    if (claims) {
      await this.refuseUnclaimedHolders(code, partnerId, at);
      await this.claims.claim(code, holder, checked.campaign.endsAt, at);
    }
    const fields = (c: Campaign) => ({ points: c.points, perMemberLimit: c.perMemberLimit, totalLimit: c.totalLimit, startsAt: c.startsAt, endsAt: c.endsAt });
    await this.models.couponCampaigns.updateOne({ _id: id }, { $set: fields(checked.campaign) }).exec();
    if (checked.campaign.totalLimit < campaign.totalLimit && (await this.uses.countUses(id)) > checked.campaign.totalLimit) {
      await this.models.couponCampaigns.updateOne({ _id: id }, { $set: fields(campaign) }).exec();
      // The claim renewed above for the end that was not kept goes back to the end that stands.
      if (claims) await this.claims.release(code, holder, campaign.endsAt, at);
      return { ok: false, reason: 'below_uses' };
    }
    if (moved && !claims) await this.claims.release(code, holder, checked.campaign.endsAt, at);
    return checked;
  }

  /** Needs no change to the code's claim: an ended campaign's claim holds nothing (see CouponCodeClaims.holds). */
  async end(partnerId: string, id: string, at: Date): Promise<Campaign | undefined> {
    const doc = await this.models.couponCampaigns.findOne({ _id: id, partnerId }).lean<CouponCampaignDoc>().exec();
    if (!doc) return undefined;
    await insertUnique(this.models.couponCampaignEnds, { _id: id, endedAt: at });
    return (await this.withEnds([doc]))[0];
  }

  countUses(campaignId: string): Promise<number> {
    return this.uses.countUses(campaignId);
  }

  async findCode(partnerId: string, code: string): Promise<GeneratedCode | undefined> {
    const doc = await this.models.couponCodes.findById(pairId(partnerId, code)).lean<CouponCodeDoc>().exec();
    return doc ? (await this.withUses(doc.campaignId, [doc]))[0] : undefined;
  }

  async findCodes(code: string): Promise<GeneratedCode[]> {
    const docs = await this.models.couponCodes.find({ code }).lean<CouponCodeDoc[]>().exec();
    const found = await Promise.all(docs.map((doc) => this.withUses(doc.campaignId, [doc])));
    return found.flat().sort((a, b) => a.partnerId.localeCompare(b.partnerId));
  }

  /** Sorted by the server over one campaign's codes (at most 10,000: the campaignId filter bounds it on FerretDB). */
  async listCodes(campaignId: string, page: Page): Promise<GeneratedCode[]> {
    const docs = await this.models.couponCodes.find({ campaignId, code: { $gt: page.after ?? '' } }).sort({ code: 1 }).limit(page.limit).lean<CouponCodeDoc[]>().exec();
    return this.withUses(campaignId, docs);
  }

  redeem(request: RedeemRequest): Promise<CouponRedemption> {
    return this.uses.redeem(request);
  }

  findUseByKey(idempotencyKey: string): Promise<CouponUse | undefined> {
    return this.uses.findUseByKey(idempotencyKey);
  }

  markCredited(useId: string, at: Date): Promise<void> {
    return this.uses.markCredited(useId, at);
  }

  findUncredited(olderThan: Date, limit: number): Promise<CouponUse[]> {
    return this.uses.findUncredited(olderThan, limit);
  }

  recoverPending(olderThan: Date): Promise<number> {
    return this.uses.recoverPending(olderThan);
  }

  /**
   * Throws codeTaken() when another partner's live campaign has the code but no claim of it (stored before claims
   * existed): such campaigns are not created any more, so looking for them is enough.
   */
  private async refuseUnclaimedHolders(code: string, partnerId: string, at: Date): Promise<void> {
    const holders = await this.findAllByCode(code);
    if (holders.some((campaign) => campaign.partnerId !== partnerId && isLiveCampaign(campaign, at))) throw codeTaken();
  }

  /**
   * Inserts the codes a partner has not got yet (nor as a single code); returns those inserted. Unordered, so
   * one taken code does not stop the rest; which went in is read back rather than parsed from the error.
   */
  private async insertCodes(partnerId: string, campaignId: string, codes: string[], createdAt: Date): Promise<string[]> {
    const singles = new Set((await this.models.couponCampaigns.find({ partnerId, code: { $in: codes } }, { code: 1 }).lean<Array<Pick<CouponCampaignDoc, 'code'>>>().exec()).map((doc) => doc.code));
    const docs: CouponCodeDoc[] = codes.filter((code) => !singles.has(code)).map((code) => ({ _id: pairId(partnerId, code), partnerId, code, campaignId, createdAt }));
    try {
      await this.models.couponCodes.insertMany(docs, { ordered: false });
      return docs.map((doc) => doc.code);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const mine = await this.models.couponCodes.find({ _id: { $in: docs.map((doc) => doc._id) }, campaignId }, { code: 1 }).lean<Array<Pick<CouponCodeDoc, 'code'>>>().exec();
      return mine.map((doc) => doc.code);
    }
  }

  private async withEnds(docs: CouponCampaignDoc[]): Promise<Campaign[]> {
    if (docs.length === 0) return [];
    const ends = await this.models.couponCampaignEnds.find({ _id: { $in: docs.map((doc) => doc._id) } }).lean<CouponCampaignEndDoc[]>().exec();
    const byId = new Map(ends.map((end) => [end._id, end]));
    return docs.map((doc) => toCampaign(doc, byId.get(doc._id)));
  }

  private async withUses(campaignId: string, docs: CouponCodeDoc[]): Promise<GeneratedCode[]> {
    if (docs.length === 0) return [];
    const uses = await this.models.couponCodeUses.find({ campaignId, _id: { $in: docs.map((doc) => doc._id) } }).lean<CouponCodeUseDoc[]>().exec();
    const usedAt = new Map(uses.map((use) => [use._id, use.createdAt]));
    return docs.map((doc) => ({ code: doc.code, partnerId: doc.partnerId, campaignId: doc.campaignId, usedAt: usedAt.get(doc._id) ?? null }));
  }
}
