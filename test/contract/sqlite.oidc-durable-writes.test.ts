// Refresh-token rotation, revocations and sessions ended by hand on the SQLite oidc store are committed with
// synchronous=FULL (so an OS crash cannot undo them), while issued tokens keep the connection's synchronous=NORMAL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../../adapters/sqlite/database.ts';
import { SqliteOidcStore } from '../../adapters/sqlite/oidc-store.ts';
import { uniqueId } from './harness.ts';

const HOUR = 3600;
const NORMAL = 1;
const FULL = 2;

describe('sqlite oidc store: durable rotation and revocation', () => {
  let dataDir: string;
  let db: DatabaseSync;
  let store: SqliteOidcStore;
  /** The synchronous level of each BEGIN the store ran, read on its own connection as the statement starts. */
  let levels: number[];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-oidc-durable-'));
    db = openDatabase(dataDir, 'normal');
    levels = [];
    const level = db.prepare('PRAGMA synchronous');
    const prepare = db.prepare.bind(db);
    // Records the level in force when each transaction begins (the store prepares BEGIN once, in its constructor).
    db.prepare = (sql: string) => {
      const statement = prepare(sql);
      if (sql !== 'BEGIN IMMEDIATE') return statement;
      const run = statement.run.bind(statement);
      statement.run = () => {
        levels.push(Number(level.get()?.synchronous));
        return run();
      };
      return statement;
    };
    store = new SqliteOidcStore(db);
  });
  afterEach(() => {
    store.flush();
    db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('commits issued tokens without an fsync (NORMAL)', async () => {
    await store.upsert('ClientCredentials', uniqueId('cc'), { kind: 'ClientCredentials' }, HOUR);
    await store.upsert('RefreshToken', uniqueId('rt'), { kind: 'RefreshToken', grantId: 'g' }, HOUR);
    expect(levels).toEqual([NORMAL, NORMAL]);
  });

  it('commits a refresh token rotation and revocations with FULL, then goes back to NORMAL', async () => {
    const old = uniqueId('rt');
    await store.upsert('RefreshToken', old, { kind: 'RefreshToken', grantId: 'grant-1' }, HOUR);
    levels = [];
    await Promise.all([store.consume('RefreshToken', old), store.upsert('RefreshToken', uniqueId('rt'), { kind: 'RefreshToken', grantId: 'grant-1' }, HOUR)]);
    await store.revokeByGrantId('AccessToken', 'grant-1');
    await store.destroy('RefreshToken', old);
    await store.upsert('AccessToken', uniqueId('at'), { kind: 'AccessToken' }, HOUR);
    expect(levels).toEqual([FULL, FULL, FULL, NORMAL]);
    expect(Number(db.prepare('PRAGMA synchronous').get()?.synchronous)).toBe(NORMAL);
    expect(await store.find('RefreshToken', old)).toBeUndefined();
  });

  it('keeps an authorization code redemption on NORMAL', async () => {
    const code = uniqueId('code');
    await store.upsert('AuthorizationCode', code, { kind: 'AuthorizationCode' }, 60);
    levels = [];
    await store.consume('AuthorizationCode', code);
    expect(levels).toEqual([NORMAL]);
    expect(await store.find('AuthorizationCode', code)).toMatchObject({ consumed: expect.any(Number) });
  });
  it('ends a session by hand with FULL, while a session oidc-provider drops itself stays on NORMAL', async () => {
    const ended = uniqueId('sess');
    const rotated = uniqueId('sess');
    await store.upsert('Session', ended, { kind: 'Session', accountId: 'a' }, HOUR);
    await store.upsert('Session', rotated, { kind: 'Session', accountId: 'a' }, HOUR);
    levels = [];
    await store.destroy('Session', ended, { durable: true });
    await store.destroy('Session', rotated);
    expect(levels).toEqual([FULL, NORMAL]);
    expect(await store.find('Session', ended)).toBeUndefined();
    expect(await store.find('Session', rotated)).toBeUndefined();
  });
});
