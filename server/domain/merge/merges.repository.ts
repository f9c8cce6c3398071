// Port: merging one member into another (issue 21 item 1) — the merge record (tombstone of the absorbed member,
// pointing at the survivor), the store-wide move of everything the absorbed member owns, and the partners' old subs.
import type { DomainEvent } from '../events/domain-event.ts';

/** Who asked for the merge: the member on the account page, or a staff member through the admin API or console. */
export type MergeInitiator = { kind: 'member'; accountId: string } | { kind: 'staff'; staffId: string };

/**
 * How the other account was proved to belong to the same person. A member proves it with the other account's
 * password, passkey, or a code sent to its verified contact; staff record what they checked (with a reference).
 */
export const MERGE_PROOF_METHODS = ['password', 'passkey', 'email_code', 'sms_code', 'identity_document', 'contact_verified', 'card_presented', 'other'] as const;
export type MergeProofMethod = (typeof MERGE_PROOF_METHODS)[number];

export interface MergeProof {
  method: MergeProofMethod;
  /** What staff checked (ticket number, document type, ...): at most 200 characters; no secret, no code. */
  reference?: string;
}

/** A partner's sub of the absorbed member, and the sub of the survivor that replaces it. */
export interface SubjectMove {
  partnerId: string;
  oldSubject: string;
  newSubject: string;
}

export type MergeStatus = 'pending' | 'done';

export interface MergeRecord {
  /** Random id; also the merge's ledger idempotency key's suffix (`merge:<id>`). */
  id: string;
  survivorId: string;
  /** Unique: a member is absorbed once; its id stays the tombstone that points at survivorId. */
  absorbedId: string;
  /** The caller's Idempotency-Key (scoped by the service), so a retried request answers the first merge. */
  requestKey: string;
  initiatedBy: MergeInitiator;
  proof: MergeProof;
  reason: string;
  status: MergeStatus;
  /** The absorbed member's subs at the partners it used, and what replaces each (answered for 90 days). */
  subjects: SubjectMove[];
  /** Until when the partner API answers the old subs with the new ones. */
  redirectUntil: Date;
  /** The points moved (the absorbed member's balance at the merge) and the lifetime points carried over. */
  pointsMoved: number;
  lifetimeCarried: number;
  createdAt: Date;
  completedAt: Date | null;
}

/** What the service decided before the store applies it (the store re-checks both members inside its transaction). */
export type MergePlan = Pick<MergeRecord, 'id' | 'survivorId' | 'absorbedId' | 'requestKey' | 'initiatedBy' | 'proof' | 'reason' | 'subjects' | 'redirectUntil'> & {
  /** member.merged; written with the merge (SQLite: its transaction; Mongo: ready once the merge is done). */
  events: readonly DomainEvent[];
  at: Date;
};

/** Why the store refused the merge (nothing changed). */
export type MergeRefusal = 'unknown_member' | 'already_merged' | 'same_member' | 'request_key_reused'
  /** The absorbed member has a redemption held for review: its outcome must be decided first. */
  | 'pending_review';

export type ApplyResult = { ok: true; record: MergeRecord; replayed: boolean } | { ok: false; reason: MergeRefusal };

export interface MergesRepository {
  /**
   * Applies the whole merge: identifiers, factors, passkeys, linked accounts, devices, consents, profile, partner
   * links and the two ledger `adjust` entries (keys `merge:<id>:out` on the absorbed member and `merge:<id>:in` on
   * the survivor), the tombstone, the events. SQLite: one transaction. Mongo: a pending record first, then steps
   * that are each idempotent, then `done`; a crash leaves the pending record, and applying the same plan again
   * (same id and request key: the sweep, or a retry of the request) finishes it. A plan whose requestKey already made a merge of these two members
   * answers that merge (replayed); either member already absorbed (or absorbing into a tombstone) is refused.
   */
  apply(plan: MergePlan): Promise<ApplyResult>;
  /** The merge that absorbed this member (its tombstone), if any. */
  findByAbsorbed(absorbedId: string): Promise<MergeRecord | undefined>;
  /** The merge made under this request key, if any. */
  findByRequestKey(requestKey: string): Promise<MergeRecord | undefined>;
  /** Merges into this survivor, newest first. */
  listBySurvivor(survivorId: string): Promise<MergeRecord[]>;
  /** The survivor's sub that replaced `subject` at this partner, while the merge's redirect lasts (every read checks it). */
  findSubjectRedirect(partnerId: string, subject: string, now: Date): Promise<string | undefined>;
  /** Forgets old-sub redirects whose 90 days are over; returns how many. */
  sweepExpiredRedirects(now: Date): Promise<number>;
  /**
   * Merges a crash left pending, started before `olderThan`, oldest first (Mongo; SQLite never has one). The
   * service resumes each by applying its plan again (same id and request key): the steps done are skipped.
   */
  listPending(olderThan: Date, limit: number): Promise<MergeRecord[]>;
}
