// Mongo documents and schemas of coupons: campaigns, the slots their uses take, generated codes and their
// single uses, campaign ends, the idempotency keys of partner redemptions, the outcome of each redemption attempt,
// and the claims of live single codes across partners. Every "only once" is a unique _id.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Campaign } from '../../server/domain/coupons/coupons.repository.ts';
import { givenString, nullableDate, nullableString, options } from './schema-kit.ts';

/**
 * A partner's coupon campaign; (partnerId, code) has a unique index. A campaign of generated codes has no code of
 * its own, but a unique index with no partial form would let only one such campaign per partner go without one,
 * so its code is "#<_id>": unique, and never a code anyone types ('#' is not a code character). Whether it has
 * ended is its CouponCampaignEndDoc, not a field here: an update on FerretDB 1.24 writes the whole document back,
 * so a change racing an end could undo it.
 */
export interface CouponCampaignDoc extends Omit<Campaign, 'id' | 'codePattern' | 'codeCount' | 'endedAt'> {
  _id: string;
  code: string;
  /** Absent on campaigns stored before generated codes existed (as null and 0). */
  codePattern?: string | null;
  codeCount?: number;
}

/** A campaign's early end; inserting it is the end, so it happens once and no update can undo it. */
export interface CouponCampaignEndDoc {
  /** The campaign id. */
  _id: string;
  endedAt: Date;
}

/**
 * One slot of a coupon use: _id "<campaign>:<n>" (total) or "<campaign>:<account>:<k>" (per member). A total
 * slot is the use: it carries what it was taken for (absent on slots stored before, read as null).
 */
export interface CouponUseDoc {
  _id: string;
  campaignId: string;
  accountId: string;
  kind: 'total' | 'member';
  createdAt: Date;
  code?: string | null;
  points?: number | null;
  idempotencyKey?: string | null;
  requestHash?: string | null;
  /** Null (or absent) until the use's ledger earn is confirmed. */
  creditedAt?: Date | null;
  /**
   * The redemption that took the slot (its CouponAttemptDoc): the slot counts as a use only once that attempt is
   * committed to it. Absent on slots stored before attempts, which were final when inserted.
   */
  attemptId?: string | null;
}

/** A generated code; _id pairId(partnerId, code), so a partner has each code once. */
export interface CouponCodeDoc {
  _id: string;
  partnerId: string;
  code: string;
  campaignId: string;
  createdAt: Date;
}

/**
 * The single use of a generated code: _id that of its CouponCodeDoc, so of concurrent redemptions one inserts it.
 * Taken before the slots and given back (deleted) when they cannot be had; useId is set once its attempt commits.
 */
export interface CouponCodeUseDoc {
  _id: string;
  campaignId: string;
  code: string;
  accountId: string;
  useId: string | null;
  createdAt: Date;
  /** The redemption that took it (absent before attempts): given back with it when that attempt is abandoned. */
  attemptId?: string | null;
}

/**
 * The outcome of one redemption attempt (its attempt id), inserted once, so decided once: committed to the use it
 * took (useId) or abandoned (null). The attempt inserts it after taking its slots; a retry that finds the attempt
 * pending for PENDING_WAIT_MS inserts it abandoned. Being a unique insert, exactly one of the two wins even on
 * FerretDB 1.24, so an attempt that was only slow can never commit slots a retry has given back.
 */
export interface CouponAttemptDoc {
  _id: string;
  useId: string | null;
  createdAt: Date;
}

/**
 * The claim of a partner's idempotency key (already scoped to the partner), inserted before a use is taken: of
 * concurrent retries one takes the use. useId is null while its request is in flight; a crash leaves it so, for
 * the next retry with the key (after PENDING_WAIT_MS) or recoverPending() to settle. Deleted when its request took nothing.
 */
export interface CouponKeyDoc {
  _id: string;
  requestHash: string;
  useId: string | null;
  createdAt: Date;
  /** The attempt holding the key (its CouponAttemptDoc); absent on keys claimed before attempts existed. */
  attemptId?: string | null;
}

/**
 * One generation of the claim of a live single code across partners: _id "<code>:<gen>" (a code has no ':'), each
 * inserted once and never changed. The highest generation of a code is its claim (see coupon-code-claims.ts).
 */
export interface CouponCodeClaimDoc {
  _id: string;
  code: string;
  gen: number;
  campaignId: string;
  partnerId: string;
  /** The campaign's end as the claimer meant it: what holds the code while the campaign is not written yet. */
  endsAt: Date;
  createdAt: Date;
}

const couponCampaignSchema = new Schema<CouponCampaignDoc>(
  {
    _id: { type: String, required: true },
    partnerId: givenString('partnerId'),
    code: { type: String, required: true },
    codePattern: nullableString,
    codeCount: { type: Number, default: 0, min: 0 },
    points: { type: Number, required: true, min: 1 },
    perMemberLimit: { type: Number, required: true, min: 1 },
    totalLimit: { type: Number, required: true, min: 1 },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  options,
);

const couponCampaignEndSchema = new Schema<CouponCampaignEndDoc>(
  {
    _id: { type: String, required: true },
    endedAt: { type: Date, required: true },
  },
  options,
);

const couponUseSchema = new Schema<CouponUseDoc>(
  {
    _id: { type: String, required: true },
    campaignId: { type: String, required: true },
    accountId: givenString('accountId'),
    kind: { type: String, required: true, enum: ['total', 'member'] },
    createdAt: { type: Date, required: true },
    code: nullableString,
    points: { type: Number, default: null },
    idempotencyKey: nullableString,
    requestHash: nullableString,
    creditedAt: nullableDate,
    attemptId: nullableString,
  },
  options,
);

const couponCodeSchema = new Schema<CouponCodeDoc>(
  {
    _id: { type: String, required: true },
    partnerId: givenString('partnerId'),
    code: { type: String, required: true },
    campaignId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  options,
);

const couponCodeUseSchema = new Schema<CouponCodeUseDoc>(
  {
    _id: { type: String, required: true },
    campaignId: { type: String, required: true },
    code: { type: String, required: true },
    accountId: givenString('accountId'),
    useId: nullableString,
    createdAt: { type: Date, required: true },
    attemptId: nullableString,
  },
  options,
);

const couponAttemptSchema = new Schema<CouponAttemptDoc>(
  {
    _id: { type: String, required: true },
    useId: nullableString,
    createdAt: { type: Date, required: true },
  },
  options,
);

const couponKeySchema = new Schema<CouponKeyDoc>(
  {
    _id: { type: String, required: true },
    requestHash: givenString('requestHash'),
    useId: nullableString,
    createdAt: { type: Date, required: true },
    attemptId: nullableString,
  },
  options,
);

const couponCodeClaimSchema = new Schema<CouponCodeClaimDoc>(
  {
    _id: { type: String, required: true },
    code: { type: String, required: true },
    gen: { type: Number, required: true, min: 1 },
    campaignId: { type: String, required: true },
    partnerId: givenString('partnerId'),
    endsAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  options,
);

export interface CouponModels {
  couponCampaigns: Model<CouponCampaignDoc>;
  couponCampaignEnds: Model<CouponCampaignEndDoc>;
  couponUses: Model<CouponUseDoc>;
  couponCodes: Model<CouponCodeDoc>;
  couponCodeUses: Model<CouponCodeUseDoc>;
  couponKeys: Model<CouponKeyDoc>;
  couponCodeClaims: Model<CouponCodeClaimDoc>;
  couponAttempts: Model<CouponAttemptDoc>;
}

export function registerCouponModels(connection: Connection): CouponModels {
  return {
    couponCampaigns: connection.model<CouponCampaignDoc>('CouponCampaign', couponCampaignSchema, 'coupon_campaigns'),
    couponCampaignEnds: connection.model<CouponCampaignEndDoc>('CouponCampaignEnd', couponCampaignEndSchema, 'coupon_campaign_ends'),
    couponUses: connection.model<CouponUseDoc>('CouponUse', couponUseSchema, 'coupon_uses'),
    couponCodes: connection.model<CouponCodeDoc>('CouponCode', couponCodeSchema, 'coupon_codes'),
    couponCodeUses: connection.model<CouponCodeUseDoc>('CouponCodeUse', couponCodeUseSchema, 'coupon_code_uses'),
    couponKeys: connection.model<CouponKeyDoc>('CouponKey', couponKeySchema, 'coupon_keys'),
    couponCodeClaims: connection.model<CouponCodeClaimDoc>('CouponCodeClaim', couponCodeClaimSchema, 'coupon_code_claims'),
    couponAttempts: connection.model<CouponAttemptDoc>('CouponAttempt', couponAttemptSchema, 'coupon_attempts'),
  };
}
