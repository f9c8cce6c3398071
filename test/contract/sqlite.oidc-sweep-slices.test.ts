// The SQLite oidc store's expiry sweep deletes in slices with a turn of the event loop between two: a backlog of
// expired sessions, codes and tokens no longer holds every request for as long as one DELETE of all of it takes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { uniqueId } from './harness.ts';

describe('sqlite oidc store: expiry sweep in slices', () => {
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

  it('lets other work run between slices, and a write made meanwhile is neither lost nor swept', async () => {
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
});
