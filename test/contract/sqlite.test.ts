// Runs the storage contract against the node:sqlite adapter, plus what only a file-backed store can show.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import { migrations } from '../../adapters/sqlite/migrations.ts';
import { expectDomainError, uniquePhone } from './harness.ts';
import { describeStorageContract } from './storage-contract.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'idp-contract-sqlite-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeStorageContract('sqlite', () => openSqliteStorage({ dataDir: freshDir() }));

describe('sqlite adapter specifics', () => {
  it('keeps everything across a close and reopen of the same data directory', async () => {
    const dataDir = join(freshDir(), 'nested', 'data');
    const first = await openSqliteStorage({ dataDir });
    const account = await first.accounts.create({ email: 'persist@example.com', emailVerified: true, passwordHash: 'h' });
    await first.clients.create({ client_id: 'persist-client', redirect_uris: ['https://x.example/cb'] });
    await first.keys.insertIfAbsent({ kid: 'k1', alg: 'ES256', publicJwk: { kty: 'EC' }, encryptedPrivateJwk: 'enc', createdAt: new Date(1000) });
    await first.codes.put({
      purpose: 'password_reset', subject: account.id, codeHash: 'c'.repeat(64), attempts: 1,
      expiresAt: new Date(Date.now() + 60_000), consumedAt: null, sentAt: new Date(), data: { a: 'b' },
    });
    await first.oidc.upsert('Session', 's1', { uid: 'u1', accountId: account.id }, 3600);
    await first.close();

    const second = await openSqliteStorage({ dataDir });
    try {
      expect(await second.accounts.findByEmail('persist@example.com')).toEqual(account);
      expect((await second.clients.find('persist-client'))?.metadata).toEqual({ client_id: 'persist-client', redirect_uris: ['https://x.example/cb'] });
      expect((await second.keys.list()).map((key) => key.kid)).toEqual(['k1']);
      expect(await second.codes.find('password_reset', account.id)).toMatchObject({ attempts: 1, data: { a: 'b' } });
      expect(await second.oidc.findByUid('Session', 'u1')).toEqual({ uid: 'u1', accountId: account.id });
      // Migrations already applied: reopening must not fail or duplicate anything.
      await expectDomainError(second.accounts.create({ email: 'persist@example.com', emailVerified: false, passwordHash: null }), 'duplicate');
    } finally {
      await second.close();
    }
  });

  it('upgrades a version 3 file: existing accounts get no phone, and numbers stay unique', async () => {
    const dataDir = freshDir();
    const old = new DatabaseSync(join(dataDir, 'idp.sqlite'));
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT');
    for (const migration of migrations.filter((m) => m.version <= 3)) {
      old.exec(migration.sql);
      old.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, 0);
    }
    old.prepare(`INSERT INTO accounts (id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at)
                 VALUES (?, ?, 1, NULL, 1000, 1000, NULL)`).run('legacy-1', 'legacy-1@example.com');
    old.prepare(`INSERT INTO accounts (id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at)
                 VALUES (?, ?, 1, NULL, 1000, 1000, NULL)`).run('legacy-2', 'legacy-2@example.com');
    old.close();

    const storage = await openSqliteStorage({ dataDir });
    try {
      expect(await storage.accounts.findById('legacy-1')).toMatchObject({ email: 'legacy-1@example.com', phone: null });
      const phone = uniquePhone();
      expect(await storage.accounts.setPhone('legacy-1', phone)).toMatchObject({ id: 'legacy-1', phone });
      await expectDomainError(storage.accounts.setPhone('legacy-2', phone), 'duplicate');
      expect(await storage.accounts.findByPhone(phone)).toMatchObject({ id: 'legacy-1' });
    } finally {
      await storage.close();
    }
  });

  it('supports a throwaway in-memory store', async () => {
    const storage = await openSqliteStorage({ dataDir: ':memory:' });
    await storage.accounts.create({ email: 'mem@example.com', emailVerified: false, passwordHash: null });
    expect(await storage.accounts.count()).toBe(1);
    await storage.close();
  });

  it('lets two handles on one file see each other and keep emails unique', async () => {
    const dataDir = freshDir();
    const [a, b] = await Promise.all([openSqliteStorage({ dataDir }), openSqliteStorage({ dataDir })]);
    try {
      const created = await a.accounts.create({ email: 'shared@example.com', emailVerified: false, passwordHash: null });
      expect(await b.accounts.findById(created.id)).toEqual(created);
      await expectDomainError(b.accounts.create({ email: 'shared@example.com', emailVerified: false, passwordHash: null }), 'duplicate');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('migrates safely when several processes open a new data directory at once', async () => {
    const dataDir = freshDir();
    const moduleUrl = new URL('../../adapters/sqlite/index.ts', import.meta.url).href;
    const script = `
      const { openSqliteStorage } = await import(${JSON.stringify(moduleUrl)});
      const storage = await openSqliteStorage({ dataDir: process.argv[1] });
      await storage.accounts.create({ email: 'proc-' + process.argv[2] + '@example.com', emailVerified: false, passwordHash: null });
      await storage.close();
    `;
    const codes = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          // process.execPath is the pinned Node 24, which has node:sqlite and runs .ts by stripping types.
          const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, dataDir, String(i)], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
          child.on('exit', (code) => resolve({ code, stderr }));
        }),
      ),
    );
    expect(codes).toEqual(Array.from({ length: 4 }, () => ({ code: 0, stderr: '' })));
    const storage = await openSqliteStorage({ dataDir });
    try {
      expect(await storage.accounts.count()).toBe(4);
    } finally {
      await storage.close();
    }
  });
});
