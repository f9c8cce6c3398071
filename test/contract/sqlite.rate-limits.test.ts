// SQLite rate limits beyond the contract: exact across real processes on one file, and no key kept in clear.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';

const sqliteModuleUrl = new URL('../../adapters/sqlite/index.ts', import.meta.url).href;
const rule = { name: 'multi-process', points: 10, durationSeconds: 60 };

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'idp-rate-limits-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A process that opens the store, prints "ready", waits for a line on stdin, then fires `count` concurrent
 * consumes and prints how many were allowed. Each process has its own connection and its own event loop.
 */
function consumer(count: number) {
  const script = `
    const { openSqliteStorage } = await import(${JSON.stringify(sqliteModuleUrl)});
    const storage = await openSqliteStorage({ dataDir: process.argv[1] });
    const limiter = storage.rateLimits.limiter(${JSON.stringify(rule)});
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const results = await Promise.all(Array.from({ length: ${count} }, () => limiter.consume('shared')));
    process.stdout.write(JSON.stringify(results.filter((r) => r.allowed).map((r) => r.consumed)) + '\\n');
    await storage.close();
    process.exit(0);
  `;
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const done = new Promise<number[]>((resolve, reject) => {
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(last) as number[]);
      else reject(new Error(`consumer exited with ${code}: ${stderr}`));
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => { if (stdout.includes('ready\n')) resolve(); });
    void done.catch(reject);
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

describe('sqlite rate limits', () => {
  it('allows exactly the points among consumes fired at once from four processes', async () => {
    // Migrated first, so the children only open it.
    await (await openSqliteStorage({ dataDir })).close();
    const children = Array.from({ length: 4 }, () => consumer(15));
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.go();
    const allowed = (await Promise.all(children.map((child) => child.done))).flat();
    expect(allowed.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));

    const storage = await openSqliteStorage({ dataDir });
    try {
      expect(await storage.rateLimits.limiter(rule).peek('shared')).toMatchObject({ allowed: false, consumed: 60 });
    } finally {
      await storage.close();
    }
  }, 60_000);

  it('keeps only hashes of rule and key at rest', async () => {
    const storage = await openSqliteStorage({ dataDir });
    const raw = new DatabaseSync(join(dataDir, 'idp.sqlite'));
    try {
      const limiter = storage.rateLimits.limiter({ name: 'sign-in-pair', points: 5, durationSeconds: 60 });
      await limiter.consume('alice@example.com|203.0.113.9');
      await limiter.consume('x'.repeat(10_000));
      const rows = raw.prepare('SELECT key, consumed FROM rate_limits ORDER BY key').all();
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(rows)).not.toMatch(/alice|203\.0|sign-in|xxx/);
      // The table refuses anything but a hash, should a later change forget to hash.
      expect(() => raw.prepare('INSERT INTO rate_limits (key, consumed, ends_at) VALUES (?, 1, 1)').run('alice@example.com')).toThrow(/CHECK constraint failed/);
    } finally {
      raw.close();
      await storage.close();
    }
  });
});
