// Port: the transactional outbox. Adapters write events with the change they describe (SQLite: in its
// transaction; Mongo: with the write or its recoverable pending step); the dispatcher relays them in id order.
import type { DomainEvent } from './domain-event.ts';

export interface EventsRepository {
  /** Adds events written on their own (no store change to tie them to); an id already there is kept as is. */
  append(events: readonly DomainEvent[]): Promise<void>;
  /** Events not yet relayed, oldest id first. */
  unpublished(limit: number): Promise<DomainEvent[]>;
  /** Marks events relayed (their deliveries are queued); idempotent. */
  markPublished(ids: readonly string[], at: Date): Promise<void>;
  /** Events by time range [from, to), oldest first: replays (and, later, analytics rollups and exports). */
  listByTime(range: { from: Date; to: Date; limit: number }): Promise<DomainEvent[]>;
  findMany(ids: readonly string[]): Promise<DomainEvent[]>;
  /** How many events wait to be relayed (the outbox backlog metric). */
  backlog(): Promise<number>;
  /**
   * Erasure (GDPR art. 17): removes every event about the member and its webhook deliveries, sent or not. The
   * stream then holds nothing that links to the person; partners learn of the erasure from member.deleted.
   */
  forgetMember(memberId: string): Promise<number>;
  /**
   * Retention: deletes up to `limit` of the oldest events before `before` that are done with, and their webhook
   * deliveries: relayed, counted by the analytics rollups when `counted` (else an uncounted event is kept), and
   * with no delivery still pending. Returns how many events went.
   */
  deleteSettledBefore(before: Date, options: { counted: boolean; limit: number }): Promise<number>;
  /**
   * A lease on a named worker: true when `owner` holds it until `until` (taken when free or expired, renewed
   * when already its own). Several processes on one store: one relays and delivers at a time.
   */
  lease(name: string, owner: string, now: Date, until: Date): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
  /**
   * Settles events a crash left at their recoverable pending step (Mongo): ready when their change is there,
   * deleted when not. Returns how many it settled (SQLite writes events in the change's transaction: always 0).
   */
  recoverPending(olderThan: Date): Promise<number>;
}
