// SQLite's expiry sweeps (oidc store, rate limits, one-time codes) delete in slices with a turn of the event loop
// between two: a backlog of expired rows no longer holds every request for as long as one DELETE of all of it takes.
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { uniqueId } from './harness.ts';

describe('sqlite expiry sweeps in slices', () => {
  let dataDir: string;
  let storage: Storage;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-sweep-slices-'));
    storage = await openSqliteStorage({ dataDir });
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('oidc store: lets other work run between slices, and a write made meanwhile is neither lost nor swept', async () => {
    const expired = Array.from({ length: 2_100 }, () => uniqueId('expired'));
    await Promise.all(expired.map((id, n) => storage.oidc.upsert('Session', id, { n }, 60)));
    const later = new Date(Date.now() + 120_000);

    // Between two slices: how many of the expired rows are still there (find goes by the real clock, by which none
    // has expired yet), and a token issued while the sweep runs.
    let left: Promise<number> | undefined;
    const issued = uniqueId('issued');
    setImmediate(() => {
      void storage.oidc.upsert('AccessToken', issued, { fresh: true }, 3600);
      left = Promise.all(expired.map((id) => storage.oidc.find('Session', id))).then((rows) => rows.filter(Boolean).length);
    });
    expect(await storage.oidc.sweepExpired(later)).toBe(2_100);
    // Other work ran after the first slice and before the last.
    expect(await left).toBeGreaterThan(0);
    expect(await left).toBeLessThan(2_100);
    expect(await storage.oidc.find('AccessToken', issued)).toEqual({ fresh: true });
    expect(await storage.oidc.find('Session', expired.at(-1) ?? '')).toBeUndefined();
  });
  /** A second connection to the same file, as another instance of the server has. */
  function otherInstance(): DatabaseSync {
    const db = new DatabaseSync(join(dataDir, 'idp.sqlite'));
    db.exec('PRAGMA busy_timeout = 10000');
    return db;
  }

  it('rate limits: a wave of expired keys is swept a slice at a time, and a key renewed meanwhile is kept', async () => {
    const db = otherInstance();
    const past = Date.now() - 60_000;
    const insert = db.prepare('INSERT INTO rate_limits (key, consumed, ends_at) VALUES (?, 1, ?)');
    const keys = Array.from({ length: 2_100 }, (_, n) => `k${String(n).padStart(42, '0')}`);
    db.exec('BEGIN');
    for (const key of keys) insert.run(key, past);
    db.exec('COMMIT');
    let left: number | undefined;
    setImmediate(() => {
      left = Number(db.prepare('SELECT count(*) AS n FROM rate_limits').get()?.n);
      // Another instance counts a new attempt on the last key before the sweep reaches it: its window restarts.
      db.prepare('UPDATE rate_limits SET ends_at = ? WHERE key = ?').run(Date.now() + 60_000, keys.at(-1) ?? '');
    });
    expect(await storage.rateLimits.sweepExpired(new Date())).toBe(2_099);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(2_100);
    expect(db.prepare('SELECT key FROM rate_limits').all().map((row) => row.key)).toEqual([keys.at(-1)]);
    db.close();
  });

  it('one-time codes: expired codes are swept a slice at a time, live ones kept', async () => {
    const db = otherInstance();
    const insert = db.prepare('INSERT INTO one_time_codes (purpose, subject, code_hash, expires_at, sent_at) VALUES (?, ?, ?, ?, ?)');
    const past = Date.now() - 2 * 24 * 3600 * 1000;
    db.exec('BEGIN');
    for (let n = 0; n < 1_200; n += 1) insert.run('email_verification', `old-${n}`, 'hash', past, past);
    insert.run('email_verification', 'live', 'hash', Date.now() + 600_000, Date.now());
    db.exec('COMMIT');
    let left: number | undefined;
    setImmediate(() => {
      left = Number(db.prepare('SELECT count(*) AS n FROM one_time_codes').get()?.n);
    });
    expect(await storage.codes.sweepExpired(new Date(Date.now() - 24 * 3600 * 1000))).toBe(1_200);
    expect(left).toBeGreaterThan(1);
    expect(left).toBeLessThan(1_201);
    expect(db.prepare('SELECT subject FROM one_time_codes').all().map((row) => row.subject)).toEqual(['live']);
    db.close();
  });
});
