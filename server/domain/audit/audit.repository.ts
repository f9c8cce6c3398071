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
  | 'admin.action';

/** Small flat values only: the log never holds passwords, codes, tokens or message texts. */
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
  /** Why (failure reason, rule name, admin route), a short machine-readable word. */
  reason: string | null;
  details: AuditDetails;
}

export interface AuditQuery {
  accountId?: string;
  types?: AuditEventType[];
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** 1-500. */
  limit: number;
  /** Paging, newest first: events strictly older than this one (by at, then id). */
  before?: { at: Date; id: string };
}

export interface AuditRepository {
  /** Appends one event; ids are unique (a repeated id throws DomainError('duplicate')). Events are never updated. */
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEvent[]>;
  /** Retention: removes events older than `before`; returns how many. */
  deleteBefore(before: Date): Promise<number>;
}
