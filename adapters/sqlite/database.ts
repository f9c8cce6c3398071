// Opens the SQLite file with the durability and concurrency settings every repository relies on, then migrates.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from '../../server/security/private-files.ts';
import { migrations } from './migrations.ts';

/** How long a connection waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * WAL size (pages of 4 KiB) at which a committing connection checkpoints. node:sqlite is synchronous,
 * so a checkpoint (copy plus fsyncs) stalls the event loop; 4000 pages (16 MiB of WAL at most) makes
 * that four times rarer than SQLite's default of 1000, for ~20% less write cost per token (measured
 * with bench/token-throughput.mjs on a 2-core VM).
 */
const AUTOCHECKPOINT_PAGES = 4000;

export type Durability = 'full' | 'normal';

/**
 * `full` (the default) fsyncs every commit: accounts, codes, keys, clients and, later, points survive
 * power loss. `normal` is for oidc-provider's sessions and tokens on their own connection: in WAL mode a
 * commit then costs no fsync (a power cut may lose the last moments of sessions and tokens, which members
 * recover by signing in again), and since node:sqlite is synchronous, an fsync per token would stall
 * the event loop (measured in bench/token-throughput.mjs: 0.32 of bare oidc-provider with FULL).
 * `synchronous` is a per-connection setting, so both connections share one file and one WAL.
 */
export function openDatabase(dataDir: string, durability: Durability = 'full'): DatabaseSync {
  let location = ':memory:';
  if (dataDir !== ':memory:') {
    ensurePrivateDir(dataDir);
    location = join(dataDir, 'idp.sqlite');
    // Made 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
    ensurePrivateFile(location);
  }
  const db = new DatabaseSync(location);
  try {
    // busy_timeout first: switching to WAL needs a lock that a sibling process may be holding.
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA journal_mode = WAL');
    // Files an older version left world-readable.
    if (location !== ':memory:') for (const suffix of ['-wal', '-shm']) restrictFile(location + suffix);
    // FULL: a committed write (points, consumed codes) survives power loss, not just a process crash.
    db.exec(durability === 'full' ? 'PRAGMA synchronous = FULL' : 'PRAGMA synchronous = NORMAL');
    db.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Runs `work` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so a read-then-write
 * cannot be interleaved with another process's write (and waits on busy_timeout instead of deadlocking).
 */
export function immediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  // Inside a transaction already (a bulk import's batch, see member-imports.ts): the write lock is held, so a
  // savepoint gives the same all-or-nothing without a commit (and its fsync) per call.
  if (db.isTransaction) return savepoint(db, work);
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

let savepoints = 0;

/** Runs `work` in a savepoint of the open transaction: undone alone when it throws, committed with the transaction. */
export function savepoint<T>(db: DatabaseSync, work: () => T): T {
  savepoints += 1;
  const name = `sp${savepoints}`;
  db.exec(`SAVEPOINT ${name}`);
  try {
    const result = work();
    db.exec(`RELEASE ${name}`);
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
    throw error;
  }
}

/** Applies pending migrations in one transaction; processes starting together serialise on the lock. */
function migrate(db: DatabaseSync): void {
  immediateTransaction(db, () => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').all().map((row) => row.version));
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, Date.now());
    }
  });
}

/** SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('errcode' in error)) return false;
  return error.errcode === 2067 || error.errcode === 1555;
}
