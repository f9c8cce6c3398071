// Port: what a bulk member import keeps beside the members it writes — the checkpoint of the last committed batch
// (so a killed run resumes there) and the old program's data that has no home of its own yet (tier, consents, ...).
// Implemented by adapters/sqlite/member-imports.ts and adapters/mongo/member-imports.ts.

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

export interface MemberImportStore {
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
