// Runs the storage contract against the node:sqlite adapter, plus what only a file-backed store can show.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import { migrations } from '../../adapters/sqlite/migrations.ts';
import type { PostEntry, PostResult } from '../../server/domain/loyalty/loyalty.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import { expectDomainError, uniquePhone } from './harness.ts';
import { databaseAtVersion, freshDir, removeDataDirs } from './sqlite-files.ts';
import { describeStorageContract } from './storage-contract.ts';

afterAll(removeDataDirs);

interface ScriptRun {
  /** Resolves once the child has written `text` to stdout. */
  printed(text: string): Promise<void>;
  /** Ends the child's stdin after writing `text`. */
  send(text: string): void;
  /** Settles when the child has exited and its output is complete. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs an ES module script in a separate Node process (a second process on the same data directory). */
function runScript(script: string, args: string[]): ScriptRun {
  // process.execPath is the pinned Node 24, which has node:sqlite and runs .ts by stripping types.
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    printed: (text) => new Promise<void>((resolve, reject) => {
      const check = () => { if (stdout.includes(text)) resolve(); };
      child.stdout.on('data', check);
      check();
      void done.then(({ stderr: err }) => reject(new Error(`child exited before printing ${text}: ${err}`)));
    }),
    send: (text) => child.stdin.end(text),
    done,
  };
}

const sqliteModuleUrl = new URL('../../adapters/sqlite/index.ts', import.meta.url).href;

/** As the server opens it: client secrets sealed (test/contract/clients.contract.ts reads what is at rest). */
const clientSecretKey = randomBytes(32);

describeStorageContract('sqlite', () => openSqliteStorage({ dataDir: freshDir(), clientSecretKey }), async () => {
  const dataDir = freshDir();
  return [await openSqliteStorage({ dataDir, clientSecretKey }), await openSqliteStorage({ dataDir, clientSecretKey })];
}, () => {
  const dataDir = freshDir();
  return { sealed: () => openSqliteStorage({ dataDir, clientSecretKey }), keyless: () => openSqliteStorage({ dataDir }) };
});

describe('sqlite adapter specifics', () => {
  it('keeps everything across a close and reopen of the same data directory', async () => {
    const dataDir = join(freshDir(), 'nested', 'data');
    const first = await openSqliteStorage({ dataDir });
    const account = await first.accounts.create({ email: 'persist@example.com', emailVerified: true, passwordHash: 'h' });
    await first.clients.create({ client_id: 'persist-client', redirect_uris: ['https://x.example/cb'] });
    await first.keys.insertIfAbsent({ kid: 'k1', alg: 'ES256', publicJwk: { kty: 'EC' }, encryptedPrivateJwk: 'enc', createdAt: new Date(1000), activeFrom: new Date(1000), retireAt: null });
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
    const { dataDir, db: old } = databaseAtVersion(3);
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

  it('upgrades a version 44 file to 45: every account, its import data and both unique indexes kept; email may be absent', async () => {
    const { dataDir, db: old } = databaseAtVersion(44);
    old.exec('PRAGMA foreign_keys = ON');
    const insert = old.prepare(`INSERT INTO accounts (id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at, phone, contact_changed_at, password_from_mailbox_at)
                 VALUES (?, ?, ?, ?, 1000, 2000, 3000, ?, 4000, NULL)`);
    insert.run('kept-1', 'kept-1@example.com', 1, 'hash-1', '+447700900101');
    insert.run('kept-2', 'kept-2@example.com', 0, null, null);
    old.prepare('INSERT INTO member_import_data (account_id, data, updated_at) VALUES (?, ?, ?)').run('kept-1', '{"tier":"gold"}', 5000);
    old.close();

    const storage = await openSqliteStorage({ dataDir });
    try {
      expect(await storage.accounts.findById('kept-1')).toMatchObject({
        email: 'kept-1@example.com', emailVerified: true, passwordHash: 'hash-1', phone: '+447700900101',
        createdAt: new Date(1000), updatedAt: new Date(2000), credentialsChangedAt: new Date(3000), contactChangedAt: new Date(4000),
      });
      expect(await storage.accounts.findById('kept-2')).toMatchObject({ email: 'kept-2@example.com', emailVerified: false, phone: null });
      expect(await storage.accounts.count()).toBe(2);
      // Uniqueness of email and phone still holds; two members without an email are fine.
      await expectDomainError(storage.accounts.create({ email: 'kept-2@example.com', emailVerified: false, passwordHash: null }), 'duplicate');
      await expectDomainError(storage.accounts.setPhone('kept-2', '+447700900101'), 'duplicate');
      const first = await storage.accounts.create({ email: null, emailVerified: false, passwordHash: null });
      const second = await storage.accounts.create({ email: null, emailVerified: false, passwordHash: null });
      expect([first.email, second.email]).toEqual([null, null]);
    } finally {
      await storage.close();
    }
    const check = new DatabaseSync(join(dataDir, 'idp.sqlite'));
    try {
      // The import data of the kept account survived the rebuild, and its foreign key still cascades.
      expect(check.prepare('SELECT data FROM member_import_data WHERE account_id = ?').get('kept-1')).toEqual({ data: '{"tier":"gold"}' });
      expect(check.prepare("SELECT sql FROM sqlite_schema WHERE name = 'member_import_data'").get()?.sql).toContain('REFERENCES accounts');
      expect(check.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      expect(check.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'accounts' AND type = 'index' AND name = 'accounts_phone'").all()).toHaveLength(1);
    } finally {
      check.close();
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
    const script = `
      const { openSqliteStorage } = await import(${JSON.stringify(sqliteModuleUrl)});
      const storage = await openSqliteStorage({ dataDir: process.argv[1] });
      await storage.accounts.create({ email: 'proc-' + process.argv[2] + '@example.com', emailVerified: false, passwordHash: null });
      await storage.close();
    `;
    const runs = await Promise.all(Array.from({ length: 4 }, (_, i) => runScript(script, [dataDir, String(i)]).done));
    expect(runs.map(({ code, stderr }) => ({ code, stderr }))).toEqual(Array.from({ length: 4 }, () => ({ code: 0, stderr: '' })));
    const storage = await openSqliteStorage({ dataDir });
    try {
      expect(await storage.accounts.count()).toBe(4);
    } finally {
      await storage.close();
    }
  });
});

describe('sqlite loyalty ledger specifics', () => {
  /** A posting with a fresh key (its own hash); the sign picks earn or redeem. */
  function posting(accountId: string, points: number, overrides: Partial<PostEntry> = {}): PostEntry {
    const key = randomUUID();
    return { accountId, kind: points > 0 ? 'earn' : 'redeem', points, partnerId: null, reason: 'sqlite', idempotencyKey: key, requestHash: key, ...overrides };
  }

  async function openWithMember(dataDir: string) {
    const storage = await openSqliteStorage({ dataDir });
    const member = await storage.loyalty.createMember({ accountId: randomUUID(), memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
    return { storage, accountId: member.accountId };
  }

  it('refuses a post the port forbids with invalid_input, and writes nothing', async () => {
    const { storage, accountId } = await openWithMember(freshDir());
    try {
      for (const bad of [
        posting(accountId, 0),
        posting(accountId, 1.5),
        posting(accountId, Number.MAX_SAFE_INTEGER + 2),
        posting(accountId, Number.NaN),
        posting(accountId, -5, { kind: 'earn' }),
        posting(accountId, 5, { kind: 'redeem' }),
        posting(accountId, 5, { reason: 'x'.repeat(201) }),
        posting(accountId, 5, { kind: 'gift' as PostEntry['kind'] }),
      ]) {
        await expectDomainError(storage.loyalty.post(bad), 'invalid_input');
      }
      await expectDomainError(storage.loyalty.listEntries(accountId, { limit: 0 }), 'invalid_input');
      expect(await storage.loyalty.post(posting(accountId, 5, { reason: 'x'.repeat(200) }))).toMatchObject({ ok: true });
      expect(await storage.loyalty.listEntries(accountId, { limit: 10 })).toHaveLength(1);
    } finally {
      await storage.close();
    }
  });

  it('refuses, even from hand-written SQL, a negative balance, a wrong-signed entry, and any change to an entry', async () => {
    const dataDir = freshDir();
    const { storage, accountId } = await openWithMember(dataDir);
    const admin = new DatabaseSync(join(dataDir, 'idp.sqlite'));
    try {
      const earned = await storage.loyalty.post(posting(accountId, 100));
      admin.exec('PRAGMA foreign_keys = ON');
      expect(() => admin.prepare('UPDATE loyalty_members SET balance = -1 WHERE account_id = ?').run(accountId)).toThrow(/CHECK constraint failed/);
      const insert = admin.prepare(`INSERT INTO ledger_entries (id, account_id, sequence, kind, points, balance_after, lifetime_after,
        partner_id, reason, idempotency_key, request_hash, created_at) VALUES (?, ?, 2, ?, ?, ?, 100, NULL, 'by hand', ?, 'h', 0)`);
      expect(() => insert.run(randomUUID(), accountId, 'redeem', -150, -50, randomUUID())).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(randomUUID(), accountId, 'earn', -10, 90, randomUUID())).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(randomUUID(), randomUUID(), 'earn', 10, 10, randomUUID())).toThrow(/FOREIGN KEY constraint failed/);
      expect(() => admin.prepare('UPDATE ledger_entries SET points = 1000, balance_after = 1000').run()).toThrow(/append-only/);
      expect(() => admin.prepare('DELETE FROM ledger_entries WHERE account_id = ?').run(accountId)).toThrow(/append-only/);
      // A key changes only with its account (erasure's re-keying), never on its own.
      expect(() => admin.prepare("UPDATE ledger_entries SET idempotency_key = 'forged'").run()).toThrow(/append-only/);

      expect(await storage.loyalty.listEntries(accountId, { limit: 10 })).toEqual([earned.ok && earned.entry]);
      expect(await storage.loyalty.findMember(accountId)).toMatchObject({ balance: 100, lifetimePoints: 100 });
    } finally {
      admin.close();
      await storage.close();
    }
  });

  it('upgrades a version 4 file to version 5: accounts kept, members and ledger ready', async () => {
    const { dataDir, db: old } = databaseAtVersion(4);
    old.prepare(`INSERT INTO accounts (id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at)
                 VALUES ('legacy-1', 'legacy@example.com', 1, NULL, 1000, 1000, NULL)`).run();
    old.close();

    const storage = await openSqliteStorage({ dataDir });
    try {
      expect(await storage.accounts.findById('legacy-1')).toMatchObject({ email: 'legacy@example.com' });
      const member = await storage.loyalty.createMember({ accountId: 'legacy-1', memberNumber: generateMemberNumber(), enrolmentChannel: 'kiosk' });
      expect(member).toMatchObject({ balance: 0, lifetimePoints: 0 });
      expect(await storage.loyalty.post(posting('legacy-1', 40))).toMatchObject({ ok: true, entry: { sequence: 1, balanceAfter: 40 } });
    } finally {
      await storage.close();
    }
    const check = new DatabaseSync(join(dataDir, 'idp.sqlite'), { readOnly: true });
    try {
      const versions = check.prepare('SELECT version FROM schema_migrations ORDER BY version').all().map((row) => row.version);
      expect(versions).toContain(5);
      expect(versions).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b));
      const triggers = check.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries' ORDER BY name").all();
      expect(triggers.map((row) => row.name)).toEqual(['ledger_entries_key_with_account', 'ledger_entries_no_delete', 'ledger_entries_no_update']);
    } finally {
      check.close();
    }
  });

  it('race across two processes: 60 redemptions of 100 against 1,000, each sent by both, give exactly 10 entries', async () => {
    const dataDir = freshDir();
    const { storage, accountId } = await openWithMember(dataDir);
    try {
      await storage.loyalty.post(posting(accountId, 1000));
      const redemptions = Array.from({ length: 60 }, () => posting(accountId, -100));
      // Each child opens its own SqliteStorage on the file, says it is ready, and posts everything once
      // told to go: the two contend for the write lock (BEGIN IMMEDIATE + busy_timeout) post by post.
      // SQLite's lock is not fair (a waiter sleeps while the holder re-takes it at once), so each child
      // pauses a random moment between posts: without it one process does all its writes first.
      const script = `
        const { openSqliteStorage } = await import(${JSON.stringify(sqliteModuleUrl)});
        const storage = await openSqliteStorage({ dataDir: process.argv[1] });
        const entries = JSON.parse(process.argv[2]);
        process.stdout.write('ready\\n');
        await new Promise((resolve) => process.stdin.once('data', resolve));
        const results = [];
        for (const entry of entries) {
          results.push(await storage.loyalty.post(entry));
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        }
        await storage.close();
        process.stdout.write(JSON.stringify(results) + '\\n');
      `;
      // Opposite orders: the two processes start on different keys and meet in the middle.
      const runs = [redemptions, [...redemptions].reverse()].map((order) => runScript(script, [dataDir, JSON.stringify(order)]));
      await Promise.all(runs.map((run) => run.printed('ready\n')));
      for (const run of runs) run.send('go\n');
      const outputs = await Promise.all(runs.map((run) => run.done));
      expect(outputs.map(({ code, stderr }) => ({ code, stderr }))).toEqual([{ code: 0, stderr: '' }, { code: 0, stderr: '' }]);
      const results = outputs.flatMap(({ stdout }) => JSON.parse(stdout.split('\n')[1] ?? '[]') as PostResult[]);

      expect(results).toHaveLength(120);
      const written = results.flatMap((r) => (r.ok && !r.replayed ? [r.entry] : []));
      expect(written).toHaveLength(10);
      // The other process's send of each written key replayed that very entry; every other send was refused.
      const replayed = results.flatMap((r) => (r.ok && r.replayed ? [r.entry.id] : []));
      expect(replayed.sort()).toEqual(written.map((e) => e.id).sort());
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'insufficient_points')).toBe(true);

      expect(await storage.loyalty.findMember(accountId)).toMatchObject({ balance: 0, lifetimePoints: 1000 });
      expect(await storage.loyalty.sumEntries(accountId)).toBe(0);
      const entries = (await storage.loyalty.listEntries(accountId, { limit: 100 })).reverse();
      expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      // Each entry starts from the balance the previous one left.
      entries.forEach((e, i) => expect(e.balanceAfter).toBe((entries[i - 1]?.balanceAfter ?? 0) + e.points));
    } finally {
      await storage.close();
    }
  }, 60_000);
});
