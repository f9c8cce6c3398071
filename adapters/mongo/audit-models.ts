// Mongo document and schema of the security audit log (one collection, append-only by the adapter's use).
import { Schema, type Connection, type Model } from 'mongoose';
import type { AuditDetails, AuditEvent } from '../../server/domain/audit/audit.repository.ts';
import { givenString, nullableString, options } from './schema-kit.ts';

/**
 * One audit event, as the port has it but for its id. `details` is a sub-document, not a JSON string: its
 * keys are [A-Za-z0-9_] (AuditLog reduces them so), never dotted or `$`-led, so the server can hold them as fields.
 */
export interface AuditEventDoc extends Omit<AuditEvent, 'id'> {
  /** The event id. */
  _id: string;
}

const auditEventSchema = new Schema<AuditEventDoc>(
  {
    _id: givenString('_id'),
    type: { type: String, required: true },
    at: { type: Date, required: true },
    accountId: nullableString,
    ip: nullableString,
    userAgent: nullableString,
    country: nullableString,
    reason: nullableString,
    // Mixed: flat values of several types. An event without details still stores `{}` (minimize: false).
    details: { type: Schema.Types.Mixed, default: (): AuditDetails => ({}) },
  },
  { ...options, minimize: false },
);

export interface AuditModels {
  auditEvents: Model<AuditEventDoc>;
}

export function registerAuditModels(connection: Connection): AuditModels {
  return { auditEvents: connection.model<AuditEventDoc>('AuditEvent', auditEventSchema, 'audit_events') };
}
