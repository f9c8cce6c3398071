// The SQLite oidc store's group commit (writes of one event-loop turn share a transaction): reads see
// queued writes, order per key holds, a failing write rejects only its caller.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { uniqueId } from './harness.ts';

const HOUR = 3600;

describe('sqlite oidc store: group commit', () => {
  let dataDir: string;
  let storage: Storage;
  /** A second connection to the same file, to install failure-injecting triggers. */
  let admin: DatabaseSync;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-group-commit-'));
    storage = await openSqliteStorage({ dataDir });
    admin = new DatabaseSync(join(dataDir, 'idp.sqlite'));
  });
  afterEach(async () => {
    admin.close();
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commits many concurrent writes and settles every caller', async () => {
    const ids = Array.from({ length: 50 }, () => uniqueId('at'));
    await Promise.all(ids.map((id, n) => storage.oidc.upsert('AccessToken', id, { n }, HOUR)));
    const found = await Promise.all(ids.map((id) => storage.oidc.find('AccessToken', id)));
    expect(found).toEqual(ids.map((_, n) => ({ n })));
    // Committed, not just queued: another connection sees them.
    expect(admin.prepare("SELECT count(*) AS n FROM oidc_payloads WHERE model = 'AccessToken'").get()).toEqual({ n: 50 });
  });

  it('lets a read see writes that have not settled yet', async () => {
    const id = uniqueId('sess');
    const uid = uniqueId('uid');
    const written = storage.oidc.upsert('Session', id, { uid }, HOUR);
    expect(await storage.oidc.find('Session', id)).toEqual({ uid });
    expect(await storage.oidc.findByUid('Session', uid)).toEqual({ uid });
    await expect(written).resolves.toBeUndefined();
  });

  it('keeps the order of writes to one id within a batch', async () => {
    const id = uniqueId('code');
    const upserted = storage.oidc.upsert('AuthorizationCode', id, { v: 1 }, HOUR);
    const consumed = storage.oidc.consume('AuthorizationCode', id);
    await Promise.all([upserted, consumed]);
    expect((await storage.oidc.find('AuthorizationCode', id))?.consumed).toEqual(expect.any(Number));

    const other = uniqueId('at');
    await Promise.all([
      storage.oidc.upsert('AccessToken', other, { v: 1 }, HOUR),
      storage.oidc.destroy('AccessToken', other),
      storage.oidc.upsert('AccessToken', other, { v: 2 }, HOUR),
    ]);
    expect(await storage.oidc.find('AccessToken', other)).toEqual({ v: 2 });
  });

  it('counts queued writes in destroyByAccountId', async () => {
    const account = uniqueId('acct');
    void storage.oidc.upsert('Session', uniqueId('s'), { accountId: account }, HOUR);
    void storage.oidc.upsert('Session', uniqueId('s'), { accountId: account }, HOUR);
    expect(await storage.oidc.destroyByAccountId('Session', account)).toBe(2);
  });

  it('keeps a queued payload named by exceptId in destroyByAccountId, and counts the other queued ones', async () => {
    const account = uniqueId('acct');
    const current = uniqueId('s');
    const written = [
      storage.oidc.upsert('Session', uniqueId('s'), { accountId: account }, HOUR),
      storage.oidc.upsert('Session', current, { accountId: account, n: 'current' }, HOUR),
      storage.oidc.upsert('Session', uniqueId('s'), { accountId: account }, HOUR),
    ];
    expect(await storage.oidc.destroyByAccountId('Session', account, current)).toBe(2);
    await Promise.all(written);
    expect(await storage.oidc.find('Session', current)).toEqual({ accountId: account, n: 'current' });
    expect(admin.prepare('SELECT id FROM oidc_payloads WHERE account_id = ?').all(account)).toEqual([{ id: current }]);
  });

  // ABORT undoes the failing statement only; ROLLBACK ends the whole transaction, so the store must
  // replay the writes that had already run in it.
  it.each([
    ['undoes only its own statement', 'ABORT'],
    ['rolls the whole transaction back', 'ROLLBACK'],
  ])('rejects only the caller whose statement fails when the failure %s', async (_, raise) => {
    admin.exec(`CREATE TRIGGER poison BEFORE INSERT ON oidc_payloads WHEN NEW.id = 'poison'
                BEGIN SELECT RAISE(${raise}, 'poisoned write'); END`);
    const [before, after] = [uniqueId('at'), uniqueId('at')];
    const results = await Promise.allSettled([
      storage.oidc.upsert('AccessToken', before, { n: 1 }, HOUR),
      storage.oidc.upsert('AccessToken', 'poison', { n: 2 }, HOUR),
      storage.oidc.upsert('AccessToken', after, { n: 3 }, HOUR),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/poisoned write/);
    expect(await storage.oidc.find('AccessToken', before)).toEqual({ n: 1 });
    expect(await storage.oidc.find('AccessToken', 'poison')).toBeUndefined();
    expect(await storage.oidc.find('AccessToken', after)).toEqual({ n: 3 });
  });

  it('rejects every write of a batch whose COMMIT fails, and commits none of them', async () => {
    // A deferred foreign key is only checked at COMMIT: the one way to make a COMMIT itself fail here.
    admin.exec(`CREATE TABLE parents (id INTEGER PRIMARY KEY);
                CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);
                CREATE TRIGGER orphan AFTER INSERT ON oidc_payloads WHEN NEW.id = 'orphan'
                BEGIN INSERT INTO children (parent) VALUES (42); END`);
    const other = uniqueId('at');
    const results = await Promise.allSettled([
      storage.oidc.upsert('AccessToken', other, { n: 1 }, HOUR),
      storage.oidc.upsert('AccessToken', 'orphan', { n: 2 }, HOUR),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await storage.oidc.find('AccessToken', other)).toBeUndefined();
    // The connection is usable again afterwards.
    await storage.oidc.upsert('AccessToken', other, { n: 3 }, HOUR);
    expect(await storage.oidc.find('AccessToken', other)).toEqual({ n: 3 });
  });

  it('rejects a payload that cannot be serialised without failing the batch', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const id = uniqueId('at');
    const ok = storage.oidc.upsert('AccessToken', id, { n: 1 }, HOUR);
    await expect(storage.oidc.upsert('AccessToken', uniqueId('at'), circular, HOUR)).rejects.toThrow(TypeError);
    await expect(ok).resolves.toBeUndefined();
    expect(await storage.oidc.find('AccessToken', id)).toEqual({ n: 1 });
  });

  it('commits queued writes on close', async () => {
    const id = uniqueId('grant');
    const written = storage.oidc.upsert('Grant', id, { n: 1 }, HOUR);
    await storage.close();
    await expect(written).resolves.toBeUndefined();
    storage = await openSqliteStorage({ dataDir });
    expect(await storage.oidc.find('Grant', id)).toEqual({ n: 1 });
  });
});
