// Port: the analytics rollups (counters per metric, bucket and dimensions) that an outbox consumer keeps up to
// date, and the time-ordered read of the outbox the warehouse export streams.
import type { DomainEvent } from '../events/domain-event.ts';
import type { EventType } from '../events/event-types.ts';
import type { Dimensions } from './rollup-rules.ts';

export interface CounterRow {
  metric: string;
  /** Start of the bucket: a UTC hour, or for distinct members a UTC day or month. */
  t: Date;
  dims: Dimensions;
  value: number;
}

/** How many members hold each kind of second way in now (not a rollup: counted from the stores when asked). */
export interface Adoption {
  members: number;
  /** Members with a confirmed authenticator app. */
  app: number;
  /** Members with at least one passkey. */
  passkey: number;
  /** Members with a verified mobile number. */
  phone: number;
}

export interface AnalyticsRepository {
  /**
   * Counts up to `limit` committed events not counted yet, oldest id first, and returns how many it took.
   * Idempotent: an event is counted once however often this runs, crashes and runs again (SQLite: the counters
   * and the events' counted marks commit in one transaction; Mongo: a numbered batch whose counter updates
   * are conditional on the batch number, recovered before the next batch).
   */
  rollUp(limit: number): Promise<number>;
  /** The counters of one metric with a bucket in [from, to). */
  counters(query: { metric: string; from: Date; to: Date }): Promise<CounterRow[]>;
  /** Removes counters of buckets before `before` and distinct-member marks expired at `now`; returns rows removed. */
  prune(before: Date, now: Date): Promise<number>;
  /**
   * Committed events in [from, to) after the id `after` (exclusive), oldest id first, optionally of some types:
   * one page of the NDJSON export.
   */
  /** Second-factor and passkey adoption today, for the dashboard. */
  adoption(): Promise<Adoption>;
  exportPage(query: { from: Date; to: Date; after: string | undefined; types: readonly EventType[] | undefined; limit: number }): Promise<DomainEvent[]>;
}
