// Mongo documents and schemas of the loyalty side: members, the points ledger and its key claims, imported
// cards, partners and their member links, and progressive profiles (coupons: coupon-models.ts).
import { Schema, type Connection, type Model } from 'mongoose';
import type { ImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import type { EnrolmentChannel, LedgerEntry } from '../../server/domain/loyalty/loyalty.repository.ts';
import type { PartnerMemberLink } from '../../server/domain/partners/partners.repository.ts';
import { givenString, nullableDate, nullableString, options } from './schema-kit.ts';

/**
 * A loyalty member, one per account (its _id). Its balance is not stored here: it is the balanceAfter of the
 * member's newest ledger entry, which a unique insert appends (see LedgerEntryDoc).
 */
export interface LoyaltyMemberDoc {
  /** The account id. */
  _id: string;
  /** Unique through its `card:<number>` identifier claim. */
  memberNumber: string;
  enrolmentChannel: EnrolmentChannel;
  createdAt: Date;
  /** A sequence at or behind the member's newest entry, where the look-up of the newest starts (a hint only). */
  headHint?: number;
  /** Set when the member was merged into another (issue 21): its ledger takes no new post but the merge's own. */
  mergedInto?: string | null;
}

/**
 * One ledger entry, as the port has it but for its id. The _id is the (member, sequence) pair, so of concurrent
 * appends of one sequence exactly one inserts: FerretDB 1.24 applies no conditional update atomically, but it
 * does refuse a taken _id. Its idempotencyKey has a unique index too: a second line of defence should a pending
 * claim be settled under a post still in flight.
 */
export interface LedgerEntryDoc extends Omit<LedgerEntry, 'id'> {
  /** "<accountId>:<sequence, 12 digits>" (the sequence is the fixed-width tail, so the pair is unambiguous). */
  _id: string;
}

/**
 * The claim of an idempotency key, inserted before the entry is appended: its unique _id makes one of
 * concurrent posts with the key the writer. `pending` until the entry is written (then `applied`), or
 * deleted when the post writes nothing; a crash leaves it pending for recoverPending().
 */
export interface LedgerKeyDoc {
  /** The idempotency key. */
  _id: string;
  requestHash: string;
  accountId: string;
  status: 'pending' | 'applied';
  /** The entry written under the key, once applied. */
  entryId: string | null;
  createdAt: Date;
}

/**
 * A member imported from the old program. Whether it is claimed is decided by its ImportedMemberClaimDoc, not
 * by claimedBy here: that is a copy written after the claim, which a concurrent re-import may overwrite on
 * FerretDB 1.24 (its updates write the whole document back) and the adapter then restores.
 */
export interface ImportedMemberDoc extends Omit<ImportedMember, 'cardNumber'> {
  /** The card number. */
  _id: string;
}

/** The claim of one imported card: its unique _id makes one of concurrent claimers the winner, even on FerretDB. */
export interface ImportedMemberClaimDoc {
  /** The card number. */
  _id: string;
  accountId: string;
  /** The record's balance when it was claimed: what moves to the account, whatever a racing re-import wrote. */
  balance: number;
  claimedAt: Date;
}

export interface PartnerDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

/** A member who signed in to a partner; _id "<partnerId>:<subject>", so one link per pair. */
export interface PartnerLinkDoc extends PartnerMemberLink {
  _id: string;
}

/** One field of a member's progressive profile; _id "<accountId>\0<name>". */
export interface ProfileFieldDoc {
  _id: string;
  accountId: string;
  name: string;
  value: string | null;
  skippedAt: Date | null;
  updatedAt: Date;
}

export interface ProfileSignInsDoc {
  /** The account id. */
  _id: string;
  count: number;
}

const loyaltyMemberSchema = new Schema<LoyaltyMemberDoc>(
  {
    _id: givenString('_id'),
    memberNumber: { type: String, required: true },
    enrolmentChannel: { type: String, required: true, enum: ['web', 'app', 'kiosk', 'partner'] },
    createdAt: { type: Date, required: true },
    headHint: { type: Number, default: 0 },
    mergedInto: { type: String, default: null },
  },
  options,
);

const ledgerEntrySchema = new Schema<LedgerEntryDoc>(
  {
    _id: { type: String, required: true },
    accountId: givenString('accountId'),
    sequence: { type: Number, required: true, min: 1 },
    kind: { type: String, required: true, enum: ['earn', 'redeem', 'adjust', 'reverse', 'expire', 'hold', 'hold_return'] },
    points: { type: Number, required: true },
    balanceAfter: { type: Number, required: true, min: 0 },
    lifetimeAfter: { type: Number, required: true, min: 0 },
    partnerId: nullableString,
    reason: givenString('reason'),
    idempotencyKey: { type: String, required: true },
    requestHash: givenString('requestHash'),
    createdAt: { type: Date, required: true },
  },
  options,
);

const ledgerKeySchema = new Schema<LedgerKeyDoc>(
  {
    _id: { type: String, required: true },
    requestHash: givenString('requestHash'),
    accountId: givenString('accountId'),
    status: { type: String, required: true, enum: ['pending', 'applied'] },
    entryId: nullableString,
    createdAt: { type: Date, required: true },
  },
  options,
);

const importedMemberSchema = new Schema<ImportedMemberDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    email: nullableString,
    phone: nullableString,
    balance: { type: Number, required: true, min: 0 },
    importedAt: { type: Date, required: true },
    claimedBy: nullableString,
    claimedAt: nullableDate,
  },
  options,
);

const importedMemberClaimSchema = new Schema<ImportedMemberClaimDoc>(
  {
    _id: { type: String, required: true },
    accountId: givenString('accountId'),
    balance: { type: Number, required: true, min: 0 },
    claimedAt: { type: Date, required: true },
  },
  options,
);

const partnerSchema = new Schema<PartnerDoc>(
  {
    _id: givenString('_id'),
    name: givenString('name'),
    createdAt: { type: Date, required: true },
  },
  options,
);

const partnerLinkSchema = new Schema<PartnerLinkDoc>(
  {
    _id: { type: String, required: true },
    partnerId: givenString('partnerId'),
    subject: givenString('subject'),
    accountId: givenString('accountId'),
    scope: { type: String, default: '' },
    linkedAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  options,
);

const profileFieldSchema = new Schema<ProfileFieldDoc>(
  {
    _id: { type: String, required: true },
    accountId: givenString('accountId'),
    name: givenString('name'),
    value: nullableString,
    skippedAt: nullableDate,
    updatedAt: { type: Date, required: true },
  },
  options,
);

const profileSignInsSchema = new Schema<ProfileSignInsDoc>(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true, min: 0 },
  },
  options,
);

export interface LoyaltyModels {
  loyaltyMembers: Model<LoyaltyMemberDoc>;
  ledgerEntries: Model<LedgerEntryDoc>;
  ledgerKeys: Model<LedgerKeyDoc>;
  importedMembers: Model<ImportedMemberDoc>;
  importedMemberClaims: Model<ImportedMemberClaimDoc>;
  partners: Model<PartnerDoc>;
  partnerLinks: Model<PartnerLinkDoc>;
  profileFields: Model<ProfileFieldDoc>;
  profileSignIns: Model<ProfileSignInsDoc>;
}

export function registerLoyaltyModels(connection: Connection): LoyaltyModels {
  return {
    loyaltyMembers: connection.model<LoyaltyMemberDoc>('LoyaltyMember', loyaltyMemberSchema, 'loyalty_members'),
    ledgerEntries: connection.model<LedgerEntryDoc>('LedgerEntry', ledgerEntrySchema, 'ledger_entries'),
    ledgerKeys: connection.model<LedgerKeyDoc>('LedgerKey', ledgerKeySchema, 'ledger_keys'),
    importedMembers: connection.model<ImportedMemberDoc>('ImportedMember', importedMemberSchema, 'imported_members'),
    importedMemberClaims: connection.model<ImportedMemberClaimDoc>('ImportedMemberClaim', importedMemberClaimSchema, 'imported_member_claims'),
    partners: connection.model<PartnerDoc>('Partner', partnerSchema, 'partners'),
    partnerLinks: connection.model<PartnerLinkDoc>('PartnerLink', partnerLinkSchema, 'partner_member_links'),
    profileFields: connection.model<ProfileFieldDoc>('ProfileField', profileFieldSchema, 'profile_fields'),
    profileSignIns: connection.model<ProfileSignInsDoc>('ProfileSignIns', profileSignInsSchema, 'profile_sign_ins'),
  };
}
