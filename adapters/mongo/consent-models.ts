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

export interface ConsentModels {
  consents: Model<ConsentDoc>;
  clientUses: Model<ClientUseDoc>;
}

export function registerConsentModels(connection: Connection): ConsentModels {
  return {
    consents: connection.model<ConsentDoc>('MemberConsent', consentSchema, 'member_consents'),
    clientUses: connection.model<ClientUseDoc>('MemberClientUse', clientUseSchema, 'member_client_uses'),
  };
}
