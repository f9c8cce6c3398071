// Port: redemptions the risk rules held for review. A hold is a `hold` ledger entry (its points reserved, so they
// cannot be spent twice) plus this record; release makes it final (points.redeemed goes out then), reject gives
// the points back with a `hold_return` entry. Implemented by adapters/sqlite and adapters/mongo.
import { createHash } from 'node:crypto';
import type { LedgerEntry } from './loyalty.repository.ts';

export type HoldStatus = 'held' | 'released' | 'rejected';

export interface HeldRedemption {
  /** Derived from the redemption's idempotency key (holdId), so a retried request finds its hold. */
  id: string;
  accountId: string;
  /** The points asked for (positive); the hold entry took them off the balance. */
  points: number;
  partnerId: string | null;
  reason: string;
  idempotencyKey: string;
  /** The `hold` ledger entry. */
  entryId: string;
  /** The risk score and the rules that fired when it was held. */
  score: number;
  signals: string[];
  status: HoldStatus;
  createdAt: Date;
  decidedAt: Date | null;
  /** Who released or rejected it (the admin client id). */
  decidedBy: string | null;
}

export interface NewHold {
  accountId: string;
  /** Positive: the points of the redemption. */
  points: number;
  partnerId: string | null;
  reason: string;
  /** The redemption's ledger key: a hold and a plain redemption of one request share it. */
  idempotencyKey: string;
  /** The hash of the redemption request (kind redeem): a retry that is let through replays the hold. */
  requestHash: string;
  score: number;
  signals: readonly string[];
}

export type HoldResult =
  /** `hold` undefined: the key already had a redemption that went through (`entry`), replayed. */
  | { ok: true; entry: LedgerEntry; hold: HeldRedemption | undefined; replayed: boolean }
  | { ok: false; reason: 'insufficient_points' | 'idempotency_conflict' | 'no_member' };

export type DecisionResult =
  | { ok: true; hold: HeldRedemption }
  /** not_found: no such hold; decided: released or rejected already (nothing changed). */
  | { ok: false; reason: 'not_found' | 'decided'; hold?: HeldRedemption };

export interface HeldRedemptionsRepository {
  /** Writes the hold entry and the record together (SQLite: one transaction; Mongo: a recoverable pending step). */
  hold(input: NewHold): Promise<HoldResult>;
  find(id: string): Promise<HeldRedemption | undefined>;
  /** Holds in one status, oldest first, after the id `after` (paging). At most 100. */
  list(status: HoldStatus, options: { limit: number; after?: string }): Promise<HeldRedemption[]>;
  /** The member's holds, newest first (at most `limit`, 1-100). */
  listByAccount(accountId: string, limit: number): Promise<HeldRedemption[]>;
  /** Makes a held redemption final and writes its points.redeemed; of concurrent decisions exactly one wins. */
  release(id: string, decidedBy: string): Promise<DecisionResult>;
  /** Gives a held redemption's points back (a hold_return entry); of concurrent decisions exactly one wins. */
  reject(id: string, decidedBy: string): Promise<DecisionResult>;
  /** Finishes holds and decisions a crash left half-done before `olderThan` (Mongo; SQLite returns 0). */
  recoverPending(olderThan: Date): Promise<number>;
}

/** The hold id of a redemption's ledger key: the same on both stores, and a retry lands on the same hold. */
export function holdId(idempotencyKey: string): string {
  return `hold_${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 24)}`;
}

/** The ledger key of a rejected hold's return entry. */
export function holdReturnKey(id: string): string {
  return `hold-return:${id}`;
}

export const MAX_HOLDS_PER_PAGE = 100;
