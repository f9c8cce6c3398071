// Bulk import benchmark (issue 19): generates N members with bcrypt hashes (a handful of real hashes made once and
// reused: the import does no KDF work, which the run proves by counting KDF calls in the import process), imports
// them with `scripts/import-members.ts` into a fresh store, and reports seconds, rows/s, CPU time (user+system of the
// import process: on a shared machine wall time also counts other processes' turns), peak RSS and KDF calls,
// with the same run's baseline: reading and validating the same file without writing (rows/s), so the ratio says
// what the store costs on this machine whatever its speed. SQLite always (N, default 1,000,000); the Mongo adapter
// against MONGODB_URI when set (a throwaway database, dropped), else the FerretDB test binary if built
// (.cache/ferretdb-test), with MONGO_N rows (default 20,000; FerretDB is far slower than MongoDB, see the README),
// reporting the CPU time FerretDB spent too (it does the database's work here: the import waits on it).
// Usage: npm run bench:import   (options: N, MONGO_N, ADAPTERS=sqlite,mongo, BATCH_SIZE)
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { openStorage } from '../adapters/index.ts';
import { dropMongoDatabase } from '../adapters/mongo/drop-database.ts';
import { parseImportRow } from '../server/domain/accounts/member-import-row.ts';
import { readImportFile } from '../server/domain/accounts/member-import-sources.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const N = Number(process.env.N ?? 1_000_000);
const MONGO_N = Number(process.env.MONGO_N ?? 20_000);
const ADAPTERS = (process.env.ADAPTERS ?? 'sqlite,mongo').split(',').map((name) => name.trim()).filter(Boolean);
const BATCH_SIZE = process.env.BATCH_SIZE ?? '5000';
const DISTINCT_HASHES = 8;
const FERRETDB_BINARY = join(ROOT, '.cache', 'ferretdb-test');

interface Figures {
  adapter: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  baselineRowsPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  /** CPU time of the FerretDB process this run started during the import (undefined for SQLite or MONGODB_URI). */
  serverCpuSeconds: number | undefined;
  kdfCalls: number;
  summary: string;
}

/** Luhn check digit, so a third of the rows keep a member number of their own. */
function luhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d *= 2;
    if (d > 9) d -= 9;
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

async function generate(file: string, rows: number, tag: string): Promise<void> {
  const hashes = Array.from({ length: DISTINCT_HASHES }, (_, i) => bcrypt.hashSync(`legacy password ${i}`, 10));
  const out = createWriteStream(file);
  for (let i = 0; i < rows; i += 1) {
    const row: Record<string, unknown> = {
      email: `member${i}.${tag}@example.com`,
      email_verified: i % 5 !== 0,
      password_hash: hashes[i % DISTINCT_HASHES],
      given_name: `Given${i % 997}`,
      family_name: `Family${i % 1009}`,
      locale: ['en', 'es', 'pt-BR', 'fr', 'pl'][i % 5],
    };
    if (i % 3 === 0) row.member_number = luhn(String(7_000_000_000 + i));
    if (i % 2 === 0) {
      row.points_balance = i % 5000;
      row.lifetime_points = (i % 5000) + (i % 7) * 100;
    }
    if (!out.write(`${JSON.stringify(row)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** The same run's baseline: stream, decode and validate every row, writing nothing. */
async function baseline(file: string): Promise<number> {
  const started = process.hrtime.bigint();
  let rows = 0;
  for await (const item of readImportFile(file, 'ndjson')) {
    if (item.kind === 'record' && parseImportRow(item.value).ok) rows += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return rows / seconds;
}

async function runImport(file: string, env: Record<string, string>): Promise<{ seconds: number; summary: string; kdf: { total: number; maxRssKiB: number; cpuMicros: number } }> {
  const countFile = join(tmpdir(), `idp-bench-kdf-${randomUUID()}.json`);
  const started = process.hrtime.bigint();
  // The V8 flags of `npm run import` (package.json): bounded heap so RSS stays flat; 16 MiB semi-spaces, since with
  // 2 MiB ones scavenges took a quarter of the import's CPU at 5,000-row batches; a 48 MiB initial old space, since
  // each batch's rows outlive two scavenges and a heap held near its 16 MiB of live data collected fully every few
  // batches (100k rows, same-window pairs: -5% CPU, peak RSS +10 MiB; 64 MiB gave -7% but put a 1M import's peak
  // at 272-283 MiB, too near the 300 MB bound).
  const child = spawn(join(ROOT, 'node_modules/.bin/node'), [
    '--max-semi-space-size=16', '--initial-old-space-size=48', '--max-old-space-size=256', '--experimental-strip-types', '--no-warnings=ExperimentalWarning', '--import', join(ROOT, 'bench/lib/count-kdf.mjs'),
    join(ROOT, 'scripts/import-members.ts'), '--batch-size', BATCH_SIZE, file,
  ], { cwd: ROOT, env: { ...process.env, ...env, KDF_COUNT_FILE: countFile, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 10_000) stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`import exited with ${code}:\n${stderr}`);
  const kdf = JSON.parse(readFileSync(countFile, 'utf8')) as { total: number; maxRssKiB: number; cpuMicros: number };
  rmSync(countFile, { force: true });
  return { seconds, summary: stdout.trim(), kdf };
}

/** CPU time (user + system, s) process `pid` has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The FerretDB v1.24 test binary on a free loopback port, as test/support/ferretdb.ts starts it. */
async function startFerretDb(): Promise<{ uri: string; pid: number | undefined; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'idp-bench-ferretdb-'));
  const port = await freePort();
  const child = spawn(FERRETDB_BINARY, ['-listen', `127.0.0.1:${port}`, '-dir', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const uri = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /^ready (mongodb:\/\/\S+)$/m.exec(log);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`ferretdb exited (${code}) before it was ready:\n${log.slice(-2000)}`)));
  });
  return {
    uri,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function withDatabase(uri: string, db: string): string {
  const url = new URL(uri);
  url.pathname = `/${db}`;
  return url.toString();
}

async function benchAdapter(adapter: 'sqlite' | 'mongo', rows: number): Promise<Figures | { adapter: string; skipped: string }> {
  const work = mkdtempSync(join(tmpdir(), `idp-bench-import-${adapter}-`));
  const cleanup: Array<() => Promise<void>> = [async () => rmSync(work, { recursive: true, force: true })];
  try {
    const env: Record<string, string> = { DATA_DIR: join(work, 'data'), KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    let serverPid: number | undefined;
    if (adapter === 'mongo') {
      let base = process.env.MONGODB_URI;
      if (!base) {
        if (!existsSync(FERRETDB_BINARY)) return { adapter, skipped: `MONGODB_URI is not set and ${FERRETDB_BINARY} is not built (npm test builds it)` };
        const ferretdb = await startFerretDb();
        cleanup.unshift(ferretdb.stop);
        base = ferretdb.uri;
        serverPid = ferretdb.pid;
      }
      env.MONGODB_URI = withDatabase(base, `idp_bench_import_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
      cleanup.unshift(async () => dropMongoDatabase(env.MONGODB_URI as string));
    }
    const file = join(work, 'members.ndjson');
    process.stderr.write(`[${adapter}] generating ${rows} rows...\n`);
    await generate(file, rows, adapter);
    process.stderr.write(`[${adapter}] ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB; baseline (read + validate, no writes)...\n`);
    const baselineRowsPerSecond = await baseline(file);
    process.stderr.write(`[${adapter}] importing...\n`);
    const serverCpuBefore = processCpuSeconds(serverPid);
    const { seconds, summary, kdf } = await runImport(file, env);
    const serverCpuAfter = processCpuSeconds(serverPid);
    const serverCpuSeconds = serverCpuBefore === undefined || serverCpuAfter === undefined ? undefined : serverCpuAfter - serverCpuBefore;
    const storage = await openStorage({ dataDir: env.DATA_DIR as string, mongodbUri: env.MONGODB_URI });
    try {
      // Spot checks that the rows are really there (first and last).
      for (const i of [0, rows - 1]) {
        if (!(await storage.accounts.findByEmail(`member${i}.${adapter}@example.com`))) throw new Error(`member ${i} missing after the import`);
      }
    } finally {
      await storage.close();
    }
    return { adapter, rows, seconds, rowsPerSecond: rows / seconds, baselineRowsPerSecond, peakRssMiB: kdf.maxRssKiB / 1024, cpuSeconds: kdf.cpuMicros / 1e6, serverCpuSeconds, kdfCalls: kdf.total, summary };
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

const results = [];
for (const adapter of ADAPTERS) {
  if (adapter !== 'sqlite' && adapter !== 'mongo') throw new Error(`unknown adapter ${adapter}`);
  results.push(await benchAdapter(adapter, adapter === 'sqlite' ? N : MONGO_N));
}
for (const result of results) {
  if ('skipped' in result) {
    console.log(`${result.adapter}: skipped (${result.skipped})`);
    continue;
  }
  console.log(`${result.adapter}: ${result.rows} rows in ${result.seconds.toFixed(1)} s = ${Math.round(result.rowsPerSecond)} rows/s `
    + `(${(result.rowsPerSecond / result.baselineRowsPerSecond).toFixed(3)} of the same run's read+validate baseline, ${Math.round(result.baselineRowsPerSecond)} rows/s); `
    + `CPU ${result.cpuSeconds.toFixed(1)} s (user+system of the import process: ${Math.round(result.rows / result.cpuSeconds)} rows per CPU-second); `
    + (result.serverCpuSeconds === undefined ? '' : `FerretDB CPU ${result.serverCpuSeconds.toFixed(1)} s (${Math.round(result.rows / result.serverCpuSeconds)} rows per CPU-second); `)
    + `peak RSS ${result.peakRssMiB.toFixed(0)} MiB; KDF calls ${result.kdfCalls}; ${result.summary}`);
  if (result.adapter === 'sqlite' && result.rows >= 1_000_000) {
    // CPU time, not wall: on a shared machine wall time counts other processes' turns (this run's wall is printed above).
    console.log(`  targets for 1M on SQLite: <= 60 s CPU ${result.cpuSeconds <= 60 ? 'met' : 'NOT met'}; RSS < 300 MB ${result.peakRssMiB * 1.048576 < 300 ? 'met' : 'NOT met'}; zero KDF calls ${result.kdfCalls === 0 ? 'met' : 'NOT met'}`);
  }
}
