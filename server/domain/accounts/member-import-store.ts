// Port: what a bulk member import keeps beside the members it writes — the checkpoint of the last committed batch
// (so a killed run resumes there) and the old program's data that has no home of its own yet (tier, consents, ...).
// Implemented by adapters/sqlite/member-imports.ts and adapters/mongo/member-imports.ts.
import type { EnrolmentChannel } from '../loyalty/loyalty.repository.ts';

/** Rows of one import run, by what happened to them. */
export interface ImportCounts {
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface ImportCheckpoint {
  /** What the run imports: `file:<sha256 of the file>` for the CLI (the same bytes resume, other bytes start over). */
  key: string;
  /** The last input line of the last committed batch: a resumed run skips every record up to it. */
  line: number;
  /** Batches committed so far. */
  batches: number;
  /** Counts up to `line`, so a resumed run reports the same totals as an uninterrupted one. */
  counts: ImportCounts;
  updatedAt: Date;
}

/**
 * The old program's data kept as data on the member until a feature of ours owns it (there is no consent
 * ledger for marketing purposes, no manual tier, and an account's created-at is the day it was written here).
 */
export interface MemberImportData {
  /** The tier the old program showed (tiers here follow lifetime points; kept for support and audits). */
  tier: string | null;
  /** Purpose → when the member gave it, ISO 8601, as the old program recorded it. */
  consents: Record<string, string>;
  /** When the member joined the old program, ISO 8601. */
  joinedAt: string | null;
  /** A phone number the old program had not verified: never a sign-in factor here, kept for the member to confirm. */
  unverifiedPhone: string | null;
}

export type ImportJobState = 'running' | 'done' | 'failed';

/** An import uploaded through the admin API, run in the background and resumed on boot while `running`. */
export interface ImportJob {
  id: string;
  state: ImportJobState;
  format: 'ndjson' | 'csv';
  /** Bytes uploaded. */
  size: number;
  counts: ImportCounts;
  /** The last line of the last committed batch (progress). */
  line: number;
  /** Why the job stopped early (a file problem); null otherwise. */
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ImportRowErrorRecord {
  line: number;
  field: string;
  message: string;
}

/** One `adjust` ledger entry of an imported member, keyed by the import (see MemberImporter.postPoints). */
export interface NewImportEntry {
  points: number;
  reason: string;
  idempotencyKey: string;
  requestHash: string;
}

/**
 * A member the bulk path writes whole: what the row-by-row path would leave after creating the account, the member,
 * the phone, the profile, the points and the kept data of a member new to the store.
 */
export interface NewImportMember {
  accountId: string;
  email: string;
  emailVerified: boolean;
  passwordHash: string;
  phone: string | null;
  /** The file's (valid) number; undefined: the store issues one from the batch's allocator. */
  memberNumber: string | undefined;
  enrolmentChannel: EnrolmentChannel;
  profile: Record<string, string>;
  /** In ledger order; empty when the member has no points. */
  entries: NewImportEntry[];
  data: MemberImportData | null;
}

/**
 * What became of a member offered to the bulk path: written; `existing` (the email, or its import ledger keys, are
 * already in the store: the row goes the row-by-row way, which knows how to update); or refused for a field.
 */
export type NewImportResult = 'imported' | 'existing' | { field: string; message: string };

export interface MemberImportStore {
  /**
   * The bulk path of a batch: writes the members that are new to the store with a handful of set-based statements
   * (SQLite: inside the batch's transaction) instead of a dozen repository calls each. The members must not share an
   * email, a kept member number or a phone with each other (the caller sends those the row-by-row way); numbers
   * the store already holds are refused (a kept one) or drawn again from `issueNumber` (an issued one). `runKey` is
   * the run's checkpoint key: a store without transactions (Mongo) finishes what a killed run of the same key left
   * half-written at once, and another run's only after a grace period (it may still be writing).
   */
  insertNewMembers(members: readonly NewImportMember[], issueNumber: () => string, runKey: string): Promise<NewImportResult[]>;
  /**
   * How many rows of a batch may go the row-by-row way at once when they share no email, number or phone with any
   * other row: 1 where a batch is one transaction on one connection (SQLite), more where each write is a round trip.
   */
  readonly rowConcurrency: number;
  /**
   * Runs one batch so that its writes and its checkpoint commit together where the store can (SQLite: one
   * transaction, which is also what makes a million rows fast); elsewhere the writes go one by one and replays
   * of an uncommitted checkpoint are harmless because every row is idempotent. `work` must do store work only:
   * on SQLite it runs inside an open transaction on the shared connection.
   */
  inBatch<T>(work: () => Promise<T>): Promise<T>;
  /** Runs one row so that a row error undoes that row's writes where the store can (SQLite: a savepoint). */
  inRow<T>(work: () => Promise<T>): Promise<T>;
  findCheckpoint(key: string): Promise<ImportCheckpoint | undefined>;
  saveCheckpoint(checkpoint: ImportCheckpoint): Promise<void>;
  /** A finished run removes its checkpoint: running the file again replays it (and changes nothing). */
  deleteCheckpoint(key: string): Promise<void>;
  findMemberData(accountId: string): Promise<MemberImportData | undefined>;
  /** Stores the member's data; false when it was already exactly that. */
  saveMemberData(accountId: string, data: MemberImportData): Promise<boolean>;

  createJob(job: ImportJob): Promise<void>;
  findJob(id: string): Promise<ImportJob | undefined>;
  updateJob(id: string, patch: Pick<ImportJob, 'state' | 'counts' | 'line' | 'error' | 'updatedAt'>): Promise<void>;
  /** Jobs still `running`: a process that died left them so, and the next boot resumes them. */
  listRunningJobs(): Promise<ImportJob[]>;
  /** Idempotent by (job, line): a replayed batch does not list its errors twice. */
  addRowErrors(jobId: string, errors: readonly ImportRowErrorRecord[]): Promise<void>;
  /** The job's row errors after `afterLine`, in line order. */
  listRowErrors(jobId: string, afterLine: number, limit: number): Promise<ImportRowErrorRecord[]>;
}
