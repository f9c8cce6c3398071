// Mongoose schemas for the Mongo adapter: string _ids, no dotted/`$` field names, opaque data as JSON strings.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Passkey } from '../../server/domain/passkeys/passkeys.repository.ts';
import { type DeviceModels, registerDeviceModels } from './device-models.ts';
import { registerHookModels, type HookModels } from './hook-models.ts';
import { type ConsentModels, registerConsentModels } from './consent-models.ts';
import { type AuditModels, registerAuditModels } from './audit-models.ts';
import { type ConnectionModels, registerConnectionModels } from './connection-models.ts';
import { type CouponModels, registerCouponModels } from './coupon-models.ts';
import { type EventModels, registerEventModels } from './event-models.ts';
import { type HeldRedemptionModels, registerHeldRedemptionModels } from './held-redemption-models.ts';
import { type LoyaltyModels, registerLoyaltyModels } from './loyalty-models.ts';
import { type RateLimitModels, registerRateLimitModels } from './rate-limit-models.ts';
import { givenString, nullableDate, nullableString, options } from './schema-kit.ts';

export type * from './audit-models.ts';
export type * from './coupon-models.ts';
export type * from './loyalty-models.ts';
export type * from './device-models.ts';
export type * from './rate-limit-models.ts';
export type * from './event-models.ts';
export type * from './held-redemption-models.ts';

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
  /** Null for a phone-first member (no email); uniqueness of present addresses lives in `identifiers`. */
  email: string | null;
  emailVerified: boolean;
  /** Verified number in E.164; absent in documents written before phones existed (read as null). */
  phone?: string | null;
  passwordHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  credentialsChangedAt: Date | null;
  contactChangedAt?: Date | null;
  /** Absent in documents written before it existed (read as null). */
  passwordFromMailboxAt?: Date | null;
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
  /** Absent on keys made before rotation existed: those sign from createdAt. */
  activeFrom?: Date;
  retireAt?: Date | null;
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

/** The port's passkey with its id as _id. `counter` is the highest recorded here; on FerretDB it may lag the highest PasskeyUseDoc (see passkeys.ts). */
export interface PasskeyDoc extends Omit<Passkey, 'id'> {
  /** The credential id: unique across accounts because it is the _id. */
  _id: string;
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

const identifierSchema = new Schema<IdentifierDoc>(
  { _id: { type: String, required: true }, accountId: { type: String, required: true }, createdAt: { type: Date, required: true } },
  options,
);

const accountSchema = new Schema<AccountDoc>(
  {
    _id: { type: String, required: true },
    email: nullableString,
    emailVerified: { type: Boolean, required: true },
    phone: nullableString,
    passwordHash: nullableString,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    credentialsChangedAt: nullableDate,
    contactChangedAt: nullableDate,
    passwordFromMailboxAt: nullableDate,
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
    activeFrom: { type: Date },
    retireAt: { type: Date, default: null },
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

/** Every model of the store: identity and protocol here; loyalty, partners and profiles in loyalty-models.ts; coupons, the audit log, known devices and rate-limit counters in their own files. */
export interface Models extends LoyaltyModels, CouponModels, AuditModels, DeviceModels, RateLimitModels, EventModels, HookModels, ConsentModels, ConnectionModels, HeldRedemptionModels {
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
  oidc: Model<OidcDoc>;
}

/** Models are registered on the given connection only, never on mongoose's global one. */
export function registerModels(connection: Connection): Models {
  return {
    ...registerLoyaltyModels(connection),
    ...registerDeviceModels(connection),
    ...registerConsentModels(connection),
    ...registerAuditModels(connection),
    ...registerRateLimitModels(connection),
    ...registerCouponModels(connection),
    ...registerEventModels(connection),
    ...registerHookModels(connection),
    ...registerConnectionModels(connection),
    ...registerHeldRedemptionModels(connection),
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
    oidc: connection.model<OidcDoc>('OidcPayload', oidcSchema, 'oidc_payloads'),
  };
}
