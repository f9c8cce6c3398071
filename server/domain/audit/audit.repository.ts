// Port: the append-only security audit log (sign-ins, blocks, unlocks, factor changes, redemptions, admin actions).

export type AuditEventType =
  | 'sign_in.success'
  | 'sign_in.failure'
  | 'sign_in.blocked'
  | 'sign_in.challenged'
  | 'sign_in.step_up'
  | 'sign_up.refused'
  | 'account.protected'
  | 'account.unlocked'
  | 'factor.added'
  | 'factor.removed'
  | 'password.changed'
  | 'phone.changed'
  | 'redemption'
  | 'sms.blocked'
  | 'sms.budget_exceeded'
  /** A subject spent its day's one-time codes or wrong tries for one purpose (reason says which). */
  | 'code.budget_exhausted'
  | 'admin.action'
  /** One failed try of a back-channel logout delivery (details: client_id, attempt, final, error). */
  | 'backchannel_logout.failed'
  /** One call of an operator hook (reason: the decision or why it failed; details: point, hook_id, status, duration_ms, policy). */
  | 'hook.call'
  /** A session cookie came from another device or an impossible-travel place: the session was ended (reason says which). */
  | 'session.hijack_suspected'
  /** The member changed their email (reason email_changed) or restored the old one by its link (email_restored). */
  | 'email.changed'
  /** The member's data export was built for an admin's support request (the member's own requests are in `reason`). */
  | 'member.exported'
  /** The member (or an admin) asked for the account's erasure; details.erase_at says when. */
  | 'member.erasure_scheduled'
  | 'member.erasure_cancelled'
  /** A member was erased; no account id, details.tombstone is the id accounting keeps (issue 17). */
  | 'member.deleted'
  /** Issue 21: a member was merged into this one (details: merge_id, absorbed, initiated_by, proof, staff_reason, points_moved). */
  | 'member.merged'
  /** The member stopped sharing with a client or partner (details: client_ids, partner_id): grants and tokens revoked. */
  | 'grant.revoked'
  /** Issue 20: staff changed points (details: actor, points, entry_id, staff_reason), asked for an approval, or decided one. */
  | 'points.adjusted'
  | 'points.adjustment_requested'
  | 'points.adjustment_approved'
  | 'points.adjustment_rejected'
  /** Issue 20: a member's staff roles changed (details: actor, roles). */
  | 'staff.roles_changed';

/**
 * Small flat values only: the log never holds passwords, codes, tokens or message texts. Keys are
 * [A-Za-z0-9_]{1,40} (AuditLog reduces them so), which both stores can hold as field names.
 */
export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEvent {
  /** Random id; with `at`, the order and the paging cursor. */
  id: string;
  type: AuditEventType;
  at: Date;
  /** The account it concerns, when one is known (never for an unknown email). */
  accountId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** ISO 3166-1 alpha-2 of `ip`, when known. */
  country: string | null;
  /** Why (failure reason, rule name, admin route such as `POST /admin/clients`), short and machine-readable. */
  reason: string | null;
  details: AuditDetails;
}

export interface AuditQuery {
  accountId?: string;
  /** Any of these; at least one when given (leave it out for every type). */
  types?: AuditEventType[];
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** 1-500 (MAX_AUDIT_PAGE); outside that, or a bad date or type, is DomainError('invalid_input'). */
  limit: number;
  /** Paging, newest first: events strictly older than this one (by at, then id). */
  before?: { at: Date; id: string };
}

export interface AuditRepository {
  /**
   * Appends one event; ids are unique (a repeated id throws DomainError('duplicate')). Events are never
   * updated (the SQLite table refuses it), only deleted by retention.
   */
  append(event: AuditEvent): Promise<void>;
  /** Newest first: by `at`, then by `id`, both descending. */
  list(query: AuditQuery): Promise<AuditEvent[]>;
  /** Retention: removes events older than `before`; returns how many. */
  deleteBefore(before: Date): Promise<number>;
}
