// What attack protection needs of the audit log: one append, never throwing (see AuditLog.record).
import type { AuditDetails, AuditEventType } from '../domain/audit/audit.repository.ts';

export interface SecurityEvent {
  type: AuditEventType;
  accountId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  country?: string | null;
  reason?: string | null;
  details?: AuditDetails;
}

export interface SecurityEvents {
  record(event: SecurityEvent): Promise<void>;
}
