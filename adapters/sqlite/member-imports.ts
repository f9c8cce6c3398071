// SQLite side of bulk member imports: a batch is one BEGIN IMMEDIATE transaction holding its rows and its checkpoint,
// so after a kill -9 the file holds whole batches and the checkpoint names exactly the last of them; each row is a
// savepoint, so a row error leaves nothing of that row behind.
import type { DatabaseSync } from 'node:sqlite';
import type { ImportCheckpoint, ImportCounts, ImportJob, ImportJobState, ImportRowErrorRecord, MemberImportData, MemberImportStore } from '../../server/domain/accounts/member-import-store.ts';
import { integer, text, textOrNull, type Row } from './rows.ts';

function toJob(row: Row): ImportJob {
  return {
    id: text(row, 'id'),
    state: text(row, 'state') as ImportJobState,
    format: text(row, 'format') === 'csv' ? 'csv' : 'ndjson',
    size: integer(row, 'size'),
    counts: JSON.parse(text(row, 'counts')) as ImportCounts,
    line: integer(row, 'line'),
    error: textOrNull(row, 'error'),
    createdAt: new Date(integer(row, 'created_at')),
    updatedAt: new Date(integer(row, 'updated_at')),
  };
}

const BULK_CACHE_KIB = 16 * 1024;

export class SqliteMemberImportStore implements MemberImportStore {
  private readonly db: DatabaseSync;
  private bulkCache = false;
  private readonly findCheckpointStmt;
  private readonly saveCheckpointStmt;
  private readonly deleteCheckpointStmt;
  private readonly findDataStmt;
  private readonly saveDataStmt;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.findCheckpointStmt = db.prepare('SELECT key, line, batches, counts, updated_at FROM import_checkpoints WHERE key = ?');
    this.saveCheckpointStmt = db.prepare(`INSERT INTO import_checkpoints (key, line, batches, counts, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET line = excluded.line, batches = excluded.batches, counts = excluded.counts, updated_at = excluded.updated_at`);
    this.deleteCheckpointStmt = db.prepare('DELETE FROM import_checkpoints WHERE key = ?');
    this.findDataStmt = db.prepare('SELECT data FROM member_import_data WHERE account_id = ?');
    this.saveDataStmt = db.prepare(`INSERT INTO member_import_data (account_id, data, updated_at) VALUES (?1, ?2, ?3)
      ON CONFLICT (account_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at WHERE data IS NOT excluded.data`);
  }

  /**
   * The transaction stays open across `work`'s awaits: the repositories on this connection are synchronous behind
   * their promises, so the batch runs without yielding to I/O and nothing else slips into it.
   */
  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work();
    if (!this.bulkCache) {
      // A bulk import inserts into a dozen random-keyed B-trees (UUIDs, emails, idempotency keys): with SQLite's
      // default 2 MiB page cache nearly every insert reads its leaf page back from the OS. 16 MiB keeps the
      // upper levels resident; bounded, since it counts in the import process's RSS (1M rows peaked at 324 MiB with 64 MiB).
      this.db.exec(`PRAGMA cache_size = -${BULK_CACHE_KIB}`);
      this.bulkCache = true;
    }
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async inRow<T>(work: () => Promise<T>): Promise<T> {
    if (!this.db.isTransaction) return work();
    this.db.exec('SAVEPOINT import_row');
    try {
      const result = await work();
      this.db.exec('RELEASE import_row');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK TO import_row; RELEASE import_row');
      throw error;
    }
  }

  async findCheckpoint(key: string): Promise<ImportCheckpoint | undefined> {
    const row = this.findCheckpointStmt.get(key);
    if (!row) return undefined;
    return {
      key: text(row, 'key'),
      line: integer(row, 'line'),
      batches: integer(row, 'batches'),
      counts: JSON.parse(text(row, 'counts')) as ImportCounts,
      updatedAt: new Date(integer(row, 'updated_at')),
    };
  }

  async saveCheckpoint(checkpoint: ImportCheckpoint): Promise<void> {
    this.saveCheckpointStmt.run(checkpoint.key, checkpoint.line, checkpoint.batches, JSON.stringify(checkpoint.counts), checkpoint.updatedAt.getTime());
  }

  async deleteCheckpoint(key: string): Promise<void> {
    this.deleteCheckpointStmt.run(key);
  }

  async findMemberData(accountId: string): Promise<MemberImportData | undefined> {
    const row = this.findDataStmt.get(accountId);
    return row ? (JSON.parse(text(row, 'data')) as MemberImportData) : undefined;
  }

  async saveMemberData(accountId: string, data: MemberImportData): Promise<boolean> {
    return Number(this.saveDataStmt.run(accountId, JSON.stringify(data), Date.now()).changes) > 0;
  }

  async createJob(job: ImportJob): Promise<void> {
    this.db.prepare('INSERT INTO import_jobs (id, state, format, size, counts, line, error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(job.id, job.state, job.format, job.size, JSON.stringify(job.counts), job.line, job.error, job.createdAt.getTime(), job.updatedAt.getTime());
  }

  async findJob(id: string): Promise<ImportJob | undefined> {
    const row = this.db.prepare('SELECT * FROM import_jobs WHERE id = ?').get(id);
    return row ? toJob(row) : undefined;
  }

  async updateJob(id: string, patch: Pick<ImportJob, 'state' | 'counts' | 'line' | 'error' | 'updatedAt'>): Promise<void> {
    this.db.prepare('UPDATE import_jobs SET state = ?, counts = ?, line = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(patch.state, JSON.stringify(patch.counts), patch.line, patch.error, patch.updatedAt.getTime(), id);
  }

  async listRunningJobs(): Promise<ImportJob[]> {
    return this.db.prepare("SELECT * FROM import_jobs WHERE state = 'running' ORDER BY created_at").all().map(toJob);
  }

  async addRowErrors(jobId: string, errors: readonly ImportRowErrorRecord[]): Promise<void> {
    const insert = this.db.prepare('INSERT OR IGNORE INTO import_row_errors (job_id, line, field, message) VALUES (?, ?, ?, ?)');
    for (const error of errors) insert.run(jobId, error.line, error.field, error.message);
  }

  async listRowErrors(jobId: string, afterLine: number, limit: number): Promise<ImportRowErrorRecord[]> {
    return this.db.prepare('SELECT line, field, message FROM import_row_errors WHERE job_id = ? AND line > ? ORDER BY line LIMIT ?')
      .all(jobId, afterLine, limit)
      .map((row) => ({ line: integer(row, 'line'), field: text(row, 'field'), message: text(row, 'message') }));
  }
}
