// Throwaway SQLite data directories for the adapter's own tests: fresh ones, and ones an older release left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrations } from '../../adapters/sqlite/migrations.ts';

const dirs: string[] = [];

/** A new empty directory, removed by removeDataDirs() (each test file calls it in afterAll). */
export function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'idp-contract-sqlite-'));
  dirs.push(dir);
  return dir;
}

export function removeDataDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A data directory holding a file migrated up to `version` only, as an older release left it. */
export function databaseAtVersion(version: number): { dataDir: string; db: DatabaseSync } {
  const dataDir = freshDir();
  const db = new DatabaseSync(join(dataDir, 'idp.sqlite'));
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
  for (const migration of migrations.filter((m) => m.version <= version)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, 0);
  }
  return { dataDir, db };
}
