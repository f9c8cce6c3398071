// Mongo documents of the operator's hooks (unique point) and the claims post-login hooks added per (account, client).
import { Schema, type Connection, type Model } from 'mongoose';
import { nullableString, options } from './schema-kit.ts';

export interface HookDoc {
  _id: string;
  point: string;
  url: string;
  timeoutMs: number;
  failurePolicy: string;
  enabled: boolean;
  claimNamespace: string | null;
  secretSealed: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface HookClaimsDoc {
  /** `${accountId}:${clientId}` (client ids have no colon). */
  _id: string;
  /** JSON text: claim names are URLs, and field names must not contain a dot. */
  claims: string;
  expiresAt: Date;
}

const hookSchema = new Schema<HookDoc>({
  _id: { type: String, required: true },
  point: { type: String, required: true },
  url: { type: String, required: true },
  timeoutMs: { type: Number, required: true },
  failurePolicy: { type: String, required: true },
  enabled: { type: Boolean, required: true },
  claimNamespace: nullableString,
  secretSealed: { type: String, required: true },
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
}, options);

const hookClaimsSchema = new Schema<HookClaimsDoc>({
  _id: { type: String, required: true },
  claims: { type: String, required: true },
  expiresAt: { type: Date, required: true },
}, options);

export interface HookModels {
  hooks: Model<HookDoc>;
  hookClaims: Model<HookClaimsDoc>;
}

export function registerHookModels(connection: Connection): HookModels {
  return {
    hooks: connection.model<HookDoc>('Hook', hookSchema, 'hooks'),
    hookClaims: connection.model<HookClaimsDoc>('HookClaims', hookClaimsSchema, 'hook_claims'),
  };
}
