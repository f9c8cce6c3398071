// Mongoose schemas for the Mongo adapter: string _ids, no dotted/`$` field names, opaque data as JSON strings.
import { Schema, type Connection, type Model } from 'mongoose';
import type { ImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import type { EnrolmentChannel, LedgerEntry } from '../../server/domain/loyalty/loyalty.repository.ts';
import type { Campaign } from '../../server/domain/coupons/coupons.repository.ts';
import type { PartnerMemberLink } from '../../server/domain/partners/partners.repository.ts';

/**
 * `_id` is "<kind>:<value>" ("email:<address>", "phone:<E.164>"): one document per unique identifier,
 * since partial unique indexes are out. Its insert is the claim; `accountId` names the holder.
 */
export interface IdentifierDoc {
  _id: string;
  accountId: string;
  createdAt: Date;
}

export interface AccountDoc {
  _id: string;
  email: string;
  emailVerified: boolean;
  /** Verified number in E.164; absent in documents written before phones existed (read as null). */
  phone?: string | null;
  passwordHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  credentialsChangedAt: Date | null;
  contactChangedAt?: Date | null;
}

export interface ClientDoc {
  /** client_id */
  _id: string;
  /** JSON string: client metadata may carry keys MongoDB rejects. */
  metadata: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface KeyDoc {
  /** kid */
  _id: string;
  alg: string;
  publicJwk: string;
  encryptedPrivateJwk: string;
  createdAt: Date;
}

export interface CodeDoc {
  /** "<purpose>:<subject>" */
  _id: string;
  purpose: string;
  subject: string;
  /** New on every put: events of a replaced code never count against its successor. */
  nonce: string;
  codeHash: string;
  /** Attempts given at put; failures recorded later are `code_events` documents. */
  attempts: number;
  expiresAt: Date;
  consumedAt: Date | null;
  sentAt: Date;
  data: string | null;
}

/**
 * A failed attempt or the consumption of one issued code. Inserts with unique _ids are the only writes
 * FerretDB 1.24 applies atomically (its updates are read-modify-write), so counting and single use rest on them.
 */
export interface CodeEventDoc {
  /** "<nonce>:consume" (at most one per issued code) or "<nonce>:failure:<uuid>" */
  _id: string;
  codeId: string;
  nonce: string;
  kind: 'failure' | 'consume';
  at: Date;
  /** The code's expiry: events are useless after it (TTL cleanup where supported). */
  expiresAt: Date;
}

export interface FactorDoc {
  /** The factor id, chosen by the caller. */
  _id: string;
  accountId: string;
  type: 'totp';
  secret: string;
  label: string;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedAt: Date | null;
}

/** Whether a code is used is not stored here but by a `recovery_code_uses` insert (see RecoveryCodeUseDoc). */
export interface RecoveryCodeDoc {
  /** The (accountId, codeHash) pair, encoded unambiguously: one document per code of an account. */
  _id: string;
  accountId: string;
  codeHash: string;
  /** New on every replace: a use recorded for an earlier set never applies to a code issued again. */
  nonce: string;
}

/** The use of one recovery code: its unique _id is the claim, so of concurrent uses exactly one inserts it. */
export interface RecoveryCodeUseDoc {
  /** The used code's nonce. */
  _id: string;
  accountId: string;
  at: Date;
}

/** A one-time value accepted for a factor; the unique _id refuses its replay. */
export interface FactorUseDoc {
  /** The (factorId, value) pair, encoded unambiguously. */
  _id: string;
  factorId: string;
  value: string;
  /** New on every claim, so a takeover of an expired record names exactly the record it replaces. */
  nonce: string;
  expiresAt: Date;
}

/** The right to replace one expired FactorUseDoc: a unique insert, so one claimer gets it, even on FerretDB. */
export interface FactorUseTakeoverDoc {
  /** The nonce of the expired record being replaced. */
  _id: string;
  expiresAt: Date;
}

export interface PasskeyDoc {
  /** The credential id: unique across accounts because it is the _id. */
  _id: string;
  accountId: string;
  publicKey: string;
  /** Highest counter recorded here; on FerretDB it may lag the highest PasskeyUseDoc (see passkeys.ts). */
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * An accepted non-zero signature counter of a passkey: the unique _id lets one of concurrent sign-ins with it win.
 * A passkey's highest one is kept (its counter even when FerretDB set the PasskeyDoc's back); lower ones are pruned.
 */
export interface PasskeyUseDoc {
  /** The (passkeyId, counter) pair, encoded unambiguously. */
  _id: string;
  passkeyId: string;
  counter: number;
  at: Date;
}

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

/** A partner's coupon campaign; (partnerId, code) is unique. */
export interface CouponCampaignDoc extends Omit<Campaign, 'id'> {
  _id: string;
}

/** One slot of a coupon use: _id "<campaign>:<n>" (total) or "<campaign>:<account>:<k>" (per member). */
export interface CouponUseDoc {
  _id: string;
  campaignId: string;
  accountId: string;
  kind: 'total' | 'member';
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

export interface OidcDoc {
  /** "<model>:<id>" */
  _id: string;
  model: string;
  id: string;
  /** The oidc-provider payload as a JSON string: its keys are not ours to restrict. */
  payload: string;
  grantId: string | null;
  userCode: string | null;
  uid: string | null;
  accountId: string | null;
  expiresAt: Date | null;
  /** Epoch seconds, set by consume(). */
  consumed: number | null;
}

// Indexes are created explicitly at open (see indexes.ts), never by mongoose behind our back.
const options = { versionKey: false, autoIndex: false, autoCreate: false, strict: 'throw', timestamps: false } as const;
const nullableString = { type: String, default: null };
const nullableDate = { type: Date, default: null };

/**
 * A required string that may be empty: mongoose's own `required` refuses '', but these hold what the caller
 * chose (ids, labels, values), which the SQLite adapter stores as given.
 */
function givenString(path: string) {
  return { type: String, required(this: { get(path: string): unknown }) { return typeof this.get(path) !== 'string'; } };
}

const identifierSchema = new Schema<IdentifierDoc>(
  { _id: { type: String, required: true }, accountId: { type: String, required: true }, createdAt: { type: Date, required: true } },
  options,
);

const accountSchema = new Schema<AccountDoc>(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true },
    emailVerified: { type: Boolean, required: true },
    phone: nullableString,
    passwordHash: nullableString,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    credentialsChangedAt: nullableDate,
    contactChangedAt: nullableDate,
  },
  options,
);

const clientSchema = new Schema<ClientDoc>(
  {
    _id: { type: String, required: true },
    metadata: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  options,
);

const keySchema = new Schema<KeyDoc>(
  {
    _id: { type: String, required: true },
    alg: { type: String, required: true },
    publicJwk: { type: String, required: true },
    encryptedPrivateJwk: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  options,
);

const codeSchema = new Schema<CodeDoc>(
  {
    _id: { type: String, required: true },
    purpose: { type: String, required: true },
    subject: { type: String, required: true },
    nonce: { type: String, required: true },
    codeHash: { type: String, required: true },
    attempts: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
    consumedAt: nullableDate,
    sentAt: { type: Date, required: true },
    data: nullableString,
  },
  options,
);

const codeEventSchema = new Schema<CodeEventDoc>(
  {
    _id: { type: String, required: true },
    codeId: { type: String, required: true },
    nonce: { type: String, required: true },
    kind: { type: String, required: true, enum: ['failure', 'consume'] },
    at: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  options,
);

const factorSchema = new Schema<FactorDoc>(
  {
    _id: givenString('_id'),
    accountId: givenString('accountId'),
    type: { type: String, required: true, enum: ['totp'] },
    secret: givenString('secret'),
    label: givenString('label'),
    createdAt: { type: Date, required: true },
    confirmedAt: nullableDate,
    lastUsedAt: nullableDate,
  },
  options,
);

const recoveryCodeSchema = new Schema<RecoveryCodeDoc>(
  {
    _id: { type: String, required: true },
    accountId: givenString('accountId'),
    codeHash: givenString('codeHash'),
    nonce: { type: String, required: true },
  },
  options,
);

const recoveryCodeUseSchema = new Schema<RecoveryCodeUseDoc>(
  { _id: { type: String, required: true }, accountId: givenString('accountId'), at: { type: Date, required: true } },
  options,
);

const factorUseSchema = new Schema<FactorUseDoc>(
  {
    _id: { type: String, required: true },
    factorId: givenString('factorId'),
    value: givenString('value'),
    nonce: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  options,
);

const factorUseTakeoverSchema = new Schema<FactorUseTakeoverDoc>(
  { _id: { type: String, required: true }, expiresAt: { type: Date, required: true } },
  options,
);

const passkeySchema = new Schema<PasskeyDoc>(
  {
    _id: givenString('_id'),
    accountId: givenString('accountId'),
    publicKey: givenString('publicKey'),
    counter: { type: Number, required: true, min: 0 },
    transports: { type: [String], required: true },
    deviceType: { type: String, required: true, enum: ['singleDevice', 'multiDevice'] },
    backedUp: { type: Boolean, required: true },
    name: givenString('name'),
    createdAt: { type: Date, required: true },
    lastUsedAt: nullableDate,
  },
  options,
);

const passkeyUseSchema = new Schema<PasskeyUseDoc>(
  {
    _id: { type: String, required: true },
    passkeyId: givenString('passkeyId'),
    counter: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  options,
);

const loyaltyMemberSchema = new Schema<LoyaltyMemberDoc>(
  {
    _id: givenString('_id'),
    memberNumber: { type: String, required: true },
    enrolmentChannel: { type: String, required: true, enum: ['web', 'app', 'kiosk', 'partner'] },
    createdAt: { type: Date, required: true },
    headHint: { type: Number, default: 0 },
  },
  options,
);

const ledgerEntrySchema = new Schema<LedgerEntryDoc>(
  {
    _id: { type: String, required: true },
    accountId: givenString('accountId'),
    sequence: { type: Number, required: true, min: 1 },
    kind: { type: String, required: true, enum: ['earn', 'redeem', 'adjust', 'reverse', 'expire'] },
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

const couponCampaignSchema = new Schema<CouponCampaignDoc>(
  {
    _id: { type: String, required: true },
    partnerId: givenString('partnerId'),
    code: { type: String, required: true },
    points: { type: Number, required: true, min: 1 },
    perMemberLimit: { type: Number, required: true, min: 1 },
    totalLimit: { type: Number, required: true, min: 1 },
    startsAt: { type: Date, required: true },
    endsAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
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

const oidcSchema = new Schema<OidcDoc>(
  {
    _id: { type: String, required: true },
    model: { type: String, required: true },
    id: { type: String, required: true },
    payload: { type: String, required: true },
    grantId: nullableString,
    userCode: nullableString,
    uid: nullableString,
    accountId: nullableString,
    expiresAt: nullableDate,
    consumed: { type: Number, default: null },
  },
  options,
);

export interface Models {
  identifiers: Model<IdentifierDoc>;
  accounts: Model<AccountDoc>;
  clients: Model<ClientDoc>;
  keys: Model<KeyDoc>;
  codes: Model<CodeDoc>;
  codeEvents: Model<CodeEventDoc>;
  factors: Model<FactorDoc>;
  recoveryCodes: Model<RecoveryCodeDoc>;
  recoveryCodeUses: Model<RecoveryCodeUseDoc>;
  factorUses: Model<FactorUseDoc>;
  factorUseTakeovers: Model<FactorUseTakeoverDoc>;
  passkeys: Model<PasskeyDoc>;
  passkeyUses: Model<PasskeyUseDoc>;
  loyaltyMembers: Model<LoyaltyMemberDoc>;
  ledgerEntries: Model<LedgerEntryDoc>;
  ledgerKeys: Model<LedgerKeyDoc>;
  importedMembers: Model<ImportedMemberDoc>;
  importedMemberClaims: Model<ImportedMemberClaimDoc>;
  partners: Model<PartnerDoc>;
  partnerLinks: Model<PartnerLinkDoc>;
  couponCampaigns: Model<CouponCampaignDoc>;
  couponUses: Model<CouponUseDoc>;
  profileFields: Model<ProfileFieldDoc>;
  profileSignIns: Model<ProfileSignInsDoc>;
  oidc: Model<OidcDoc>;
}

/** Models are registered on the given connection only, never on mongoose's global one. */
export function registerModels(connection: Connection): Models {
  return {
    identifiers: connection.model<IdentifierDoc>('Identifier', identifierSchema, 'identifiers'),
    accounts: connection.model<AccountDoc>('Account', accountSchema, 'accounts'),
    clients: connection.model<ClientDoc>('Client', clientSchema, 'clients'),
    keys: connection.model<KeyDoc>('SigningKey', keySchema, 'signing_keys'),
    codes: connection.model<CodeDoc>('OneTimeCode', codeSchema, 'one_time_codes'),
    codeEvents: connection.model<CodeEventDoc>('OneTimeCodeEvent', codeEventSchema, 'code_events'),
    factors: connection.model<FactorDoc>('Factor', factorSchema, 'factors'),
    recoveryCodes: connection.model<RecoveryCodeDoc>('RecoveryCode', recoveryCodeSchema, 'recovery_codes'),
    recoveryCodeUses: connection.model<RecoveryCodeUseDoc>('RecoveryCodeUse', recoveryCodeUseSchema, 'recovery_code_uses'),
    factorUses: connection.model<FactorUseDoc>('FactorUse', factorUseSchema, 'factor_uses'),
    factorUseTakeovers: connection.model<FactorUseTakeoverDoc>('FactorUseTakeover', factorUseTakeoverSchema, 'factor_use_takeovers'),
    passkeys: connection.model<PasskeyDoc>('Passkey', passkeySchema, 'passkeys'),
    passkeyUses: connection.model<PasskeyUseDoc>('PasskeyUse', passkeyUseSchema, 'passkey_uses'),
    loyaltyMembers: connection.model<LoyaltyMemberDoc>('LoyaltyMember', loyaltyMemberSchema, 'loyalty_members'),
    ledgerEntries: connection.model<LedgerEntryDoc>('LedgerEntry', ledgerEntrySchema, 'ledger_entries'),
    ledgerKeys: connection.model<LedgerKeyDoc>('LedgerKey', ledgerKeySchema, 'ledger_keys'),
    importedMembers: connection.model<ImportedMemberDoc>('ImportedMember', importedMemberSchema, 'imported_members'),
    importedMemberClaims: connection.model<ImportedMemberClaimDoc>('ImportedMemberClaim', importedMemberClaimSchema, 'imported_member_claims'),
    partners: connection.model<PartnerDoc>('Partner', partnerSchema, 'partners'),
    partnerLinks: connection.model<PartnerLinkDoc>('PartnerLink', partnerLinkSchema, 'partner_member_links'),
    couponCampaigns: connection.model<CouponCampaignDoc>('CouponCampaign', couponCampaignSchema, 'coupon_campaigns'),
    couponUses: connection.model<CouponUseDoc>('CouponUse', couponUseSchema, 'coupon_uses'),
    profileFields: connection.model<ProfileFieldDoc>('ProfileField', profileFieldSchema, 'profile_fields'),
    profileSignIns: connection.model<ProfileSignInsDoc>('ProfileSignIns', profileSignInsSchema, 'profile_sign_ins'),
    oidc: connection.model<OidcDoc>('OidcPayload', oidcSchema, 'oidc_payloads'),
  };
}
