// Mongo documents of member consents: _id is the (account, client) pair; resources are an array of
// {resource, scopes}, never an object keyed by resource URL (field names must not contain "."); and when each
// member last used each client.
import { Schema, type Connection, type Model } from 'mongoose';
import { options } from './schema-kit.ts';

export interface ConsentDoc {
  /** pairId(accountId, clientId) */
  _id: string;
  accountId: string;
  clientId: string;
  scopes: string[];
  claims: string[];
  resources: { resource: string; scopes: string[] }[];
  updatedAt: Date;
}

const consentSchema = new Schema<ConsentDoc>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  clientId: { type: String, required: true },
  scopes: { type: [String], default: [] },
  claims: { type: [String], default: [] },
  resources: { type: [new Schema({ resource: { type: String, required: true }, scopes: { type: [String], default: [] } }, { _id: false })], default: [] },
  updatedAt: { type: Date, required: true },
}, options);

/** When a member last used a client ("Apps and partners"): _id is pairId(accountId, clientId). */
export interface ClientUseDoc {
  _id: string;
  accountId: string;
  clientId: string;
  firstUsedAt: Date;
  lastUsedAt: Date;
}

const clientUseSchema = new Schema<ClientUseDoc>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  clientId: { type: String, required: true },
  firstUsedAt: { type: Date, required: true },
  lastUsedAt: { type: Date, required: true },
}, options);

/** A purpose consent record (issue 17): _id is the record id; append-only. */
export interface PurposeConsentRecordDoc {
  _id: string;
  accountId: string;
  purpose: string;
  version: number;
  granted: boolean;
  at: Date;
  channel: string;
  clientId: string | null;
  method: string;
  receiptId: string;
  /** Order of the record within its change (they share `at`). */
  seq: number;
}

/** The signed receipt of one change; erasure keeps `decisions` under a tombstone and drops the JWS. */
export interface PurposeConsentReceiptDoc {
  _id: string;
  accountId: string;
  issuedAt: Date;
  jws: string | null;
  decisions: Array<{ purpose: string; version: number; granted: boolean }>;
  method: string;
}

const recordSchema = new Schema<PurposeConsentRecordDoc>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  purpose: { type: String, required: true },
  version: { type: Number, required: true },
  granted: { type: Boolean, required: true },
  at: { type: Date, required: true },
  channel: { type: String, required: true },
  clientId: { type: String, default: null },
  method: { type: String, required: true },
  receiptId: { type: String, required: true },
  seq: { type: Number, required: true },
}, options);

const receiptSchema = new Schema<PurposeConsentReceiptDoc>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  issuedAt: { type: Date, required: true },
  jws: { type: String, default: null },
  decisions: { type: [new Schema({ purpose: { type: String, required: true }, version: { type: Number, required: true }, granted: { type: Boolean, required: true } }, { _id: false })], default: [] },
  method: { type: String, required: true },
}, options);

export interface ConsentModels {
  consents: Model<ConsentDoc>;
  clientUses: Model<ClientUseDoc>;
  purposeConsentRecords: Model<PurposeConsentRecordDoc>;
  purposeConsentReceipts: Model<PurposeConsentReceiptDoc>;
}

export function registerConsentModels(connection: Connection): ConsentModels {
  return {
    consents: connection.model<ConsentDoc>('MemberConsent', consentSchema, 'member_consents'),
    clientUses: connection.model<ClientUseDoc>('MemberClientUse', clientUseSchema, 'member_client_uses'),
    purposeConsentRecords: connection.model<PurposeConsentRecordDoc>('PurposeConsentRecord', recordSchema, 'purpose_consent_records'),
    purposeConsentReceipts: connection.model<PurposeConsentReceiptDoc>('PurposeConsentReceipt', receiptSchema, 'purpose_consent_receipts'),
  };
}
