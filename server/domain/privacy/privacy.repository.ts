// Port: what the member's data rights need from a store — stored exports, scheduled erasures, the few reads no
// other port offers (claimed cards, coupon uses, partner links), and the erasure of every row of a member.
import type { DomainEvent } from '../events/domain-event.ts';
import type { CouponUse } from '../coupons/coupons.repository.ts';
import type { ImportedMember } from '../loyalty/imported-members.repository.ts';
import type { PartnerMemberLink } from '../partners/partners.repository.ts';

export interface StoredExport {
  /** Random id (the download link's path); only ever answered to the member it belongs to. */
  id: string;
  accountId: string;
  /** The archive as JSON text once built; null while it is being built. */
  archive: string | null;
  createdAt: Date;
  readyAt: Date | null;
  /** Forgotten after this (7 days after the request). */
  expiresAt: Date;
}

export interface ErasureRequest {
  accountId: string;
  requestedAt: Date;
  /** When the sweeper erases the member (requestedAt + grace; requestedAt itself for an erasure now). */
  eraseAt: Date;
}

/** What identifies the member in rows that are not keyed by the account id (codes and limits keyed by address). */
export interface ErasureSubject {
  accountId: string;
  email: string;
  phone: string | null;
  /** Random id that replaces the account id in what accounting keeps (ledger entries, coupon uses). */
  tombstone: string;
  /** Outbox events written with the erasure (member.deleted): SQLite in its transaction, Mongo before the request goes. */
  events?: readonly DomainEvent[];
}

export interface PrivacyStore {
  createExport(input: Pick<StoredExport, 'id' | 'accountId' | 'createdAt' | 'expiresAt'>): Promise<void>;
  /** Stores the built archive; false when the export is gone (expired or erased meanwhile). */
  completeExport(id: string, archive: string, at: Date): Promise<boolean>;
  /** Undefined when missing or expired (every read checks expiry). */
  findExport(id: string, now: Date): Promise<StoredExport | undefined>;
  /** The account's newest live export (built or not), for the account page; undefined when none. */
  findLatestExport(accountId: string, now: Date): Promise<StoredExport | undefined>;
  /** Ids of live exports still without an archive, requested before `before` (a crash cut their build short). */
  listUnbuiltExports(before: Date, limit: number): Promise<string[]>;
  sweepExpiredExports(now: Date): Promise<number>;
  /**
   * Records the erasure unless one is already scheduled (then nothing changes, so a second request keeps the
   * first date); with `replaceLater`, an existing later date is brought forward to this one (erase now).
   * Returns the request in force.
   */
  scheduleErasure(request: ErasureRequest, options?: { replaceLater?: boolean }): Promise<ErasureRequest>;
  findErasure(accountId: string): Promise<ErasureRequest | undefined>;
  /** Returns whether one was scheduled. */
  cancelErasure(accountId: string): Promise<boolean>;
  /** Accounts whose erasure is due at `now`, oldest first. */
  listDueErasures(now: Date, limit: number): Promise<string[]>;
  /** The old program's cards this account claimed (name and contacts as imported). */
  listClaimedCards(accountId: string): Promise<ImportedMember[]>;
  /** The account's coupon uses (their total slots), oldest first. */
  listCouponUses(accountId: string): Promise<CouponUse[]>;
  /** The partners this member signed in to, with the pairwise subject each sees. */
  listPartnerLinks(accountId: string): Promise<PartnerMemberLink[]>;
  /**
   * Erases every row of the member in every table or collection of the store, the erasure request included:
   * deletes what identifies or describes the person, and rewrites what accounting must keep (ledger entries
   * and their member, coupon uses) under `tombstone`. Idempotent: erasing a member already gone changes nothing.
   */
  eraseMember(subject: ErasureSubject): Promise<void>;
}
