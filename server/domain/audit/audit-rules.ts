// What the audit port refuses before any store is touched, shared by both adapters so a bad query gets the
// same invalid_input everywhere; and the list of event types, checked against the port's union at compile time.
import { DomainError } from '../errors.ts';
import type { AuditEventType, AuditQuery } from './audit.repository.ts';

/** The most events one list call returns (a page stays small even on FerretDB, where sorts can be scans). */
export const MAX_AUDIT_PAGE = 500;

/** `satisfies` makes a type added to the port's union without being added here a compile error (and vice versa). */
const TYPES = {
  'sign_in.success': true,
  'sign_in.failure': true,
  'sign_in.blocked': true,
  'sign_in.challenged': true,
  'sign_in.step_up': true,
  'sign_up.refused': true,
  'account.protected': true,
  'account.unlocked': true,
  'factor.added': true,
  'factor.removed': true,
  'password.changed': true,
  'phone.changed': true,
  redemption: true,
  'sms.blocked': true,
  'sms.budget_exceeded': true,
  'code.budget_exhausted': true,
  'admin.action': true,
  'backchannel_logout.failed': true,
  'hook.call': true,
  'session.hijack_suspected': true,
  'email.changed': true,
  'member.exported': true,
  'member.erasure_scheduled': true,
  'member.erasure_cancelled': true,
  'member.deleted': true,
  'member.merged': true,
  'grant.revoked': true,
  'points.adjusted': true,
  'points.adjustment_requested': true,
  'points.adjustment_approved': true,
  'points.adjustment_rejected': true,
  'staff.roles_changed': true,
} as const satisfies Record<AuditEventType, true>;

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = Object.freeze(Object.keys(TYPES) as AuditEventType[]);

/** The sign-in outcomes a member sees in their own history. */
export const SIGN_IN_EVENT_TYPES: readonly AuditEventType[] = Object.freeze(AUDIT_EVENT_TYPES.filter((type) => type.startsWith('sign_in.')));

export function isAuditEventType(value: string): value is AuditEventType {
  return Object.hasOwn(TYPES, value);
}

function validDate(value: Date | undefined): boolean {
  return value === undefined || (value instanceof Date && !Number.isNaN(value.getTime()));
}

export function assertValidAuditQuery(query: AuditQuery): void {
  const invalid = (message: string) => new DomainError('invalid_input', message);
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > MAX_AUDIT_PAGE) {
    throw invalid(`limit must be a whole number from 1 to ${MAX_AUDIT_PAGE}`);
  }
  if (query.types !== undefined) {
    if (query.types.length === 0) throw invalid('types must name at least one event type (leave it out for all)');
    const unknown = query.types.find((type) => !isAuditEventType(type));
    if (unknown !== undefined) throw invalid(`unknown event type ${String(unknown)}`);
  }
  if (!validDate(query.from) || !validDate(query.to) || !validDate(query.before?.at)) throw invalid('dates must be valid');
  if (query.before !== undefined && typeof query.before.id !== 'string') throw invalid('before.id must be a string');
}
