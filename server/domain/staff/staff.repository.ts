// Port: staff roles per account and the points adjustments staff ask for (with their second-person approval).
import type { StaffRole } from './staff-roles.ts';

export interface StaffMember {
  accountId: string;
  /** Never empty: an account without roles has no row. */
  roles: StaffRole[];
  /** 1 on the first grant, +1 on each change: optimistic concurrency for whoever edits the roles. */
  version: number;
  updatedAt: Date;
}

export type SetRolesResult =
  | { ok: true; staff: StaffMember | undefined }
  /** `expectedVersion` was given and the stored version (0 for none) differs: nothing changed. */
  | { ok: false; reason: 'stale'; current: StaffMember | undefined };

export type AdjustmentStatus = 'pending' | 'approved' | 'rejected';

export interface PointsAdjustment {
  id: string;
  accountId: string;
  /** Signed, never 0. */
  points: number;
  reason: string;
  /** Who asked: `staff:<accountId>` or `client:<clientId>`. */
  requestedBy: string;
  /** The caller's Idempotency-Key, scoped by requester (unique). */
  idempotencyKey: string;
  requestHash: string;
  status: AdjustmentStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  /** The ledger entry once applied. */
  ledgerEntryId: string | null;
  createdAt: Date;
}

export type NewPointsAdjustment = Omit<PointsAdjustment, 'id' | 'status' | 'decidedBy' | 'decidedAt' | 'ledgerEntryId' | 'createdAt'>;

export interface StaffRepository {
  find(accountId: string): Promise<StaffMember | undefined>;
  /** Every account with roles, oldest grant first (a program has tens of staff, not thousands). */
  list(): Promise<StaffMember[]>;
  /**
   * Replaces the account's roles (empty: removes them). With `expectedVersion`, only if the stored version
   * (0 when the account has none) is still that one; concurrent writers see exactly one succeed.
   */
  setRoles(accountId: string, roles: StaffRole[], expectedVersion?: number): Promise<SetRolesResult>;
  /** Removes the account's roles, pending adjustments and redemption freeze (member erasure). */
  deleteByAccount(accountId: string): Promise<void>;

  /** Stores a pending adjustment; when the key is taken, returns the one stored under it instead (`created: false`). */
  createAdjustment(input: NewPointsAdjustment): Promise<{ adjustment: PointsAdjustment; created: boolean }>;
  findAdjustment(id: string): Promise<PointsAdjustment | undefined>;
  /** The account's adjustments waiting for a second person, newest first. */
  listPendingAdjustments(accountId: string): Promise<PointsAdjustment[]>;
  /**
   * Moves a pending adjustment to approved or rejected, once: false when it was no longer pending (someone
   * decided first). Approved adjustments get their ledger entry id with markApplied.
   */
  decideAdjustment(id: string, status: 'approved' | 'rejected', decidedBy: string, at: Date): Promise<boolean>;
  markApplied(id: string, ledgerEntryId: string): Promise<void>;
  /** Puts an approved adjustment that could not be applied (the balance fell meanwhile) back to pending. */
  reopenAdjustment(id: string): Promise<void>;

  /** The member's redemption freeze, while there is one (member erasure removes it with the roles). */
  findRedemptionFreeze(accountId: string): Promise<RedemptionFreeze | undefined>;
  /** Freezes the member's redemptions; a second freeze keeps the first (returns the one in force). */
  freezeRedemptions(freeze: RedemptionFreeze): Promise<RedemptionFreeze>;
  /** Lifts the freeze; false when there was none. */
  unfreezeRedemptions(accountId: string): Promise<boolean>;
}

/** Staff froze this member's redemptions (issue 20): refused everywhere until unfrozen; earning stays open. */
export interface RedemptionFreeze {
  accountId: string;
  /** `staff:<accountId>` or `client:<clientId>`. */
  frozenBy: string;
  reason: string;
  frozenAt: Date;
}

/** Port: finding members by the start of their name (the console's member search). */
export interface MemberSearchRepository {
  /**
   * Account ids whose given or family name starts with `prefix`, case-insensitively (ASCII), every character
   * taken literally (no wildcard or pattern syntax), in id order after `afterAccountId`, at most `limit`.
   */
  accountsByNamePrefix(prefix: string, options: { limit: number; afterAccountId?: string }): Promise<string[]>;
}
