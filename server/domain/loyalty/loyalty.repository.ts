// Port: loyalty members (one per account) and their points ledger. The ledger is append-only: every
// change of balance is an entry carrying the balance it results in, so the balance is always the sum of
// the entries and can never go below zero. Implemented by adapters/sqlite and adapters/mongo.

export type EnrolmentChannel = 'web' | 'app' | 'kiosk' | 'partner';
/**
 * `hold` reserves the points of a redemption the risk rules held for review (negative: they cannot be spent twice);
 * `hold_return` gives them back when the review rejects it (positive, but not earned: lifetime points ignore it).
 * A released hold needs no entry: its points were already taken by the hold.
 */
export type LedgerKind = 'earn' | 'redeem' | 'adjust' | 'reverse' | 'expire' | 'hold' | 'hold_return';

export interface Member {
  accountId: string;
  /** Digits with a Luhn check digit (see member-number.ts); unique. */
  memberNumber: string;
  enrolmentChannel: EnrolmentChannel;
  /** Points now: the balanceAfter of the newest entry (0 without entries). Never negative. */
  balance: number;
  /** Points ever earned: the sum of positive entries (earn, positive adjust/reverse; not hold_return). */
  lifetimePoints: number;
  createdAt: Date;
}

export interface NewMember {
  accountId: string;
  memberNumber: string;
  enrolmentChannel: EnrolmentChannel;
  /** How the member signed up, for member.created (analytics); not stored on the member. */
  signUpMethod?: SignUpMethod;
}

/** How an enrolment began: a sign-up form (password or passkey), an upstream identity, an import, or other. */
export type SignUpMethod = 'password' | 'passkey' | 'social' | 'phone' | 'import' | 'other';

export interface LedgerEntry {
  /** Unique; chosen by the store. */
  id: string;
  accountId: string;
  /** 1, 2, 3, ... per member in the order entries were applied. */
  sequence: number;
  kind: LedgerKind;
  /** Signed change: earn > 0, redeem and expire < 0, adjust and reverse either way. Never 0. */
  points: number;
  balanceAfter: number;
  lifetimeAfter: number;
  /** The partner (organization) that asked for it, or null for the program itself. */
  partnerId: string | null;
  /** Free text for people reading the ledger; at most 200 characters. */
  reason: string;
  /** Unique across the whole ledger: callers scope it (e.g. "<partnerId>:<their key>"). */
  idempotencyKey: string;
  /** Hash of the request that created it: a replay with the same key must carry the same hash. */
  requestHash: string;
  createdAt: Date;
}

export interface PostEntry {
  accountId: string;
  kind: LedgerKind;
  points: number;
  partnerId: string | null;
  reason: string;
  idempotencyKey: string;
  requestHash: string;
  /**
   * Lifetime points the entry brings beyond its own (a positive `adjust` only): a merge carries the absorbed
   * member's lifetime over to the survivor (issue 21), so lifetime is the sum of both. Default 0.
   */
  lifetimeCarried?: number;
  /**
   * Set by a merge only (issue 21): the entry may go onto a member being merged, which refuses every other post
   * (no_member) so that points cannot land on a tombstone; and a merge's `adjust` may be 0 points (it carries the
   * lifetime of an absorbed member without balance, and closes the absorbed member's ledger).
   */
  merging?: boolean;
}

export type PostResult =
  /** `replayed`: the key was used before with the same hash; `entry` is the original one. */
  | { ok: true; entry: LedgerEntry; replayed: boolean }
  /** insufficient_points: the entry would take the balance below zero (nothing written, key not used). */
  | { ok: false; reason: 'insufficient_points' | 'idempotency_conflict' | 'no_member' };

export interface LoyaltyRepository {
  /** Throws DomainError('duplicate') when the account already has a member or the number is taken. */
  createMember(input: NewMember): Promise<Member>;
  findMember(accountId: string): Promise<Member | undefined>;
  findMemberByNumber(memberNumber: string): Promise<Member | undefined>;
  /** Deletes a member that has no ledger entry (an account that never got going); false otherwise. */
  deleteMemberWithoutEntries(accountId: string): Promise<boolean>;

  /**
   * Appends one entry atomically and idempotently. Of concurrent posts with one key exactly one
   * writes; the others get it back as replayed (same hash) or idempotency_conflict (other hash). Of
   * concurrent posts on one member, each sees the balance the previous one left: the balance never goes
   * below zero and always equals the sum of the entries. points must be a non-zero safe integer.
   */
  post(entry: PostEntry): Promise<PostResult>;
  /** The entry written under this key, if any (applied entries only). */
  findEntryByKey(idempotencyKey: string): Promise<LedgerEntry | undefined>;
  /** The member's entries, newest first. */
  listEntries(accountId: string, options: { limit: number; beforeSequence?: number }): Promise<LedgerEntry[]>;
  /** Sum of the member's entries' points (for invariant checks and audits). */
  sumEntries(accountId: string): Promise<number>;

  /**
   * Finishes or undoes posts a crash left half-done before `olderThan` (the Mongo adapter's pending
   * step; SQLite has none and returns 0). Returns how many were resolved.
   */
  recoverPending(olderThan: Date): Promise<number>;
}
