// Points awarded per second through the partner API (POST /partner-api/v1/members/{sub}/points), on each
// storage adapter: SQLite always; MongoDB when MONGODB_URI is set (a throwaway database on it, dropped
// afterwards), else the FerretDB test binary the test suite uses (.cache/ferretdb-test) if it is built,
// else reported as skipped. For each adapter the script starts the built server (loopback only), creates
// a partner and its API client through the admin API, seeds SEED_MEMBERS members linked to the partner
// by opening the same store from this process (dist/adapters), then runs CONCURRENCY keep-alive workers
// for WARMUP_S + DURATION_S posting earns of 1-10 points to random members, each with a new
// Idempotency-Key; every REPLAY_EVERY-th request repeats an earlier key and body (a replay). Afterwards it
// checks through the store that each member's balance is the sum of its entries, that the entries chain
// (sequence 1..n, balanceAfter), and that every acknowledged key has exactly one entry; exits 1 if not.
// Prerequisite: npm run build (the script runs dist/, not the TypeScript sources).
// Usage: npm run build && npm run bench:earn   (options: DURATION_S, WARMUP_S, CONCURRENCY, SEED_MEMBERS,
// REPLAY_EVERY, MAX_REQUESTS per adapter, ADAPTERS=sqlite,mongo; PROFILE_DIR writes a --cpu-prof profile
// of each server there)
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout } from 'node:timers';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { cpuMs } from './proc-cpu.mjs';
import { adminPost as adminPostWith, clientCredentials as clientCredentialsWith } from './lib/oauth.mjs';
import { children, exchange, freePort, percentile, spawnLogged as spawnLoggedTo, stopChild, warnIfDistStale } from './lib/processes.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const SEED_MEMBERS = Number(process.env.SEED_MEMBERS ?? 200);
const REPLAY_EVERY = Number(process.env.REPLAY_EVERY ?? 20);
const MAX_REQUESTS = Number(process.env.MAX_REQUESTS ?? 500_000);
const PROFILE_DIR = process.env.PROFILE_DIR;
const ADAPTERS = (process.env.ADAPTERS ?? 'sqlite,mongo').split(',').map((name) => name.trim()).filter(Boolean);
const FERRETDB_BINARY = join(ROOT, '.cache', 'ferretdb-test');
const ADMIN_ID = 'bench-admin';
const ADMIN_SECRET = 'bench-admin-secret-0123456789abcdefghijkl';
const REQUEST_TIMEOUT_MS = 10_000;

if (!existsSync(join(ROOT, 'dist', 'server', 'main.js'))) {
  console.error('dist/server/main.js is missing: run `npm run build` first');
  process.exit(1);
}
warnIfDistStale(ROOT);

const logDir = mkdtempSync(join(tmpdir(), 'idp-bench-earn-logs-'));
/** `spawnLogged` of the shared plumbing, logging to this run's log directory. */
function spawnLogged(name, command, args, env, ready) {
  return spawnLoggedTo({ name, command, args, env, ready, cwd: ROOT, logFile: join(logDir, `${name}.log`) });
}

/** `uri` with its database replaced by `dbName` (credentials keep their original database as authSource). */
function withDatabase(uri, dbName) {
  const match = /^(mongodb(?:\+srv)?:\/\/)([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(uri);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  const [, scheme, hosts, originalDb = '', query = ''] = match;
  const params = new URLSearchParams(query);
  if (hosts.includes('@') && !params.has('authSource')) params.set('authSource', decodeURIComponent(originalDb) || 'admin');
  const search = params.toString();
  return `${scheme}${hosts}/${dbName}${search ? `?${search}` : ''}`;
}

/** The FerretDB v1.24 test binary on a free loopback port (as test/support/ferretdb.ts starts it), with its pid. */
async function startFerretDb() {
  const dir = mkdtempSync(join(tmpdir(), 'idp-bench-ferretdb-'));
  const port = await freePort();
  try {
    const { child, match } = await spawnLogged('ferretdb', FERRETDB_BINARY, ['-listen', `127.0.0.1:${port}`, '-dir', join(dir, 'data')], {}, /^ready (mongodb:\/\/\S+)$/m);
    return { uri: match[1], pid: child.pid, stop: async () => { await stopChild(child); rmSync(dir, { recursive: true, force: true }); } };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// node:http with keep-alive rather than fetch: the load generator shares the cores with the server (and
// FerretDB), so the lighter it is, the more the figures measure them.
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(url, method, headers, body) {
  return exchange(url, { method, headers, body, agent, timeoutMs: REQUEST_TIMEOUT_MS });
}

const clientCredentials = (base, clientId, secret, params) => clientCredentialsWith(base, clientId, secret, params, { agent, timeoutMs: REQUEST_TIMEOUT_MS });
const adminPost = (base, token, path, body) => adminPostWith(base, token, path, body, { agent, timeoutMs: REQUEST_TIMEOUT_MS });

/** Runs `task(i)` for i in [0, count) with at most `parallel` in flight. */
async function inParallel(count, parallel, task) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

async function seed(storage, partnerId, generateMemberNumber) {
  const runId = randomBytes(4).toString('hex');
  const members = new Array(SEED_MEMBERS);
  await inParallel(SEED_MEMBERS, 8, async (i) => {
    const account = await storage.accounts.create({ email: `bench-${runId}-${i}@bench.example`, emailVerified: true, passwordHash: null });
    await storage.loyalty.createMember({ accountId: account.id, memberNumber: generateMemberNumber(), enrolmentChannel: 'partner' });
    const subject = `bench-${i}`;
    await storage.partners.link({ partnerId, subject, accountId: account.id, scope: 'openid email loyalty' });
    members[i] = { subject, accountId: account.id, path: `/partner-api/v1/members/${encodeURIComponent(subject)}/points`, acknowledged: new Map(), uncertain: new Set() };
  });
  return members;
}


/**
 * Closed-loop load: CONCURRENCY workers each send the next request when the last one answers, for
 * `seconds` or until the shared request budget runs out. `state` carries what must outlive the phase
 * (acknowledged keys for replays and the invariant check).
 */
async function load(target, seconds, state, measure) {
  const sample = { earns: [], replays: [], errors: {}, replayMismatches: 0 };
  const end = Date.now() + seconds * 1000;
  const headers = { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' };
  const cpu = () => ({ server: cpuMs(target.serverPid), store: target.storePid ? cpuMs(target.storePid) : undefined, self: process.cpuUsage() });
  const before = cpu();
  const started = performance.now();
  const worker = async () => {
    while (Date.now() < end && state.sent < MAX_REQUESTS) {
      const n = state.sent++;
      const replay = n % REPLAY_EVERY === REPLAY_EVERY - 1 && state.done.length > 0;
      let member, key, body, original;
      if (replay) {
        ({ member, key, body, entryId: original } = state.done[Math.floor(Math.random() * state.done.length)]);
      } else {
        member = state.members[Math.floor(Math.random() * state.members.length)];
        key = randomUUID();
        body = JSON.stringify({ points: 1 + Math.floor(Math.random() * 10), reason: `bench order ${n}` });
      }
      const t0 = performance.now();
      let response;
      try {
        response = await call(`${target.url}${member.path}`, 'POST', { ...headers, 'idempotency-key': key }, body);
      } catch (error) {
        sample.errors[`network ${error.code ?? error.message}`] = (sample.errors[`network ${error.code ?? error.message}`] ?? 0) + 1;
        if (!replay) member.uncertain.add(key);
        continue;
      }
      const ms = performance.now() - t0;
      if (response.status !== 201) {
        sample.errors[response.status] = (sample.errors[response.status] ?? 0) + 1;
        if (!replay) member.uncertain.add(key);
        if (state.firstError === undefined) state.firstError = `${response.status} ${response.text.slice(0, 300)}`;
        continue;
      }
      const entry = JSON.parse(response.text);
      const marked = response.headers['idempotent-replayed'] === 'true';
      if (replay) {
        if (!marked || entry.id !== original) sample.replayMismatches += 1;
        sample.replays.push(ms);
      } else {
        if (marked) sample.replayMismatches += 1; // a fresh key must never come back as a replay
        member.acknowledged.set(key, { id: entry.id, points: JSON.parse(body).points });
        if (state.done.length < 100_000) state.done.push({ member, key, body, entryId: entry.id });
        sample.earns.push(ms);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  if (!measure) return undefined;
  const after = cpu();
  const answered = sample.earns.length + sample.replays.length;
  const perRequest = (a, b) => (a === undefined || b === undefined || answered === 0 ? undefined : ((b - a) * 1000) / answered);
  const selfMs = (after.self.user + after.self.system - before.self.user - before.self.system) / 1000;
  const earns = sample.earns.sort((a, b) => a - b);
  return {
    elapsed,
    earnsPerS: earns.length / elapsed,
    replaysPerS: sample.replays.length / elapsed,
    p50: percentile(earns, 0.5),
    p95: percentile(earns, 0.95),
    p99: percentile(earns, 0.99),
    replayP50: percentile(sample.replays.sort((a, b) => a - b), 0.5),
    errors: sample.errors,
    replayMismatches: sample.replayMismatches,
    serverCpuUs: perRequest(before.server, after.server),
    storeCpuUs: perRequest(before.store, after.store),
    generatorCpuUs: answered === 0 ? undefined : (selfMs * 1000) / answered,
  };
}

/** Every member's ledger read back through the store: the invariants the API promises. */
async function verify(storage, partnerId, members) {
  const failures = [];
  let entriesChecked = 0;
  for (const member of members) {
    const who = `${member.subject} (${member.accountId})`;
    const stored = await storage.loyalty.findMember(member.accountId);
    if (!stored) {
      failures.push(`${who}: member missing`);
      continue;
    }
    const entries = [];
    for (let before; ;) {
      const page = await storage.loyalty.listEntries(member.accountId, { limit: 1000, ...(before === undefined ? {} : { beforeSequence: before }) });
      if (page.length === 0) break; // not `< 1000`: an adapter may cap its pages lower
      entries.push(...page);
      before = page.at(-1).sequence;
    }
    entries.reverse(); // oldest first
    entriesChecked += entries.length;
    const sum = await storage.loyalty.sumEntries(member.accountId);
    const listedSum = entries.reduce((total, entry) => total + entry.points, 0);
    if (stored.balance !== sum) failures.push(`${who}: balance ${stored.balance} != sum of entries ${sum}`);
    if (listedSum !== sum) failures.push(`${who}: listed entries add up to ${listedSum}, sumEntries says ${sum}`);
    let running = 0;
    const byKey = new Map();
    entries.forEach((entry, index) => {
      running += entry.points;
      if (entry.sequence !== index + 1) failures.push(`${who}: entry ${entry.id} has sequence ${entry.sequence}, expected ${index + 1}`);
      if (entry.balanceAfter !== running) failures.push(`${who}: entry ${entry.sequence} balanceAfter ${entry.balanceAfter} != running sum ${running}`);
      byKey.set(entry.idempotencyKey, (byKey.get(entry.idempotencyKey) ?? []).concat(entry));
    });
    for (const [key, list] of byKey) {
      if (list.length !== 1) failures.push(`${who}: ${list.length} entries for idempotency key ${key}`);
      const callerKey = key.slice(`earn:${partnerId}:`.length);
      if (!member.acknowledged.has(callerKey) && !member.uncertain.has(callerKey)) failures.push(`${who}: entry for key ${key} that no request of this run sent`);
    }
    for (const [key, { id, points }] of member.acknowledged) {
      const [entry] = byKey.get(`earn:${partnerId}:${key}`) ?? [];
      if (!entry) failures.push(`${who}: acknowledged key ${key} has no entry`);
      else if (entry.id !== id || entry.points !== points || entry.kind !== 'earn' || entry.partnerId !== partnerId) {
        failures.push(`${who}: entry for key ${key} is ${JSON.stringify({ id: entry.id, points: entry.points, kind: entry.kind })}, answered ${JSON.stringify({ id, points })}`);
      }
    }
  }
  return { failures, entriesChecked };
}

async function runAdapter(name) {
  if (name !== 'sqlite' && name !== 'mongo') return { skipped: 'unknown adapter (ADAPTERS takes sqlite and mongo)' };
  const { openStorage } = await import('../dist/adapters/index.js');
  const { generateMemberNumber } = await import('../dist/server/domain/loyalty/member-number.js');
  const { dropMongoDatabase } = await import('../dist/adapters/mongo/drop-database.js');
  const cleanup = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-earn-'));
  cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    let mongodbUri;
    let storePid;
    if (name === 'mongo') {
      let base = process.env.MONGODB_URI;
      if (!base) {
        if (!existsSync(FERRETDB_BINARY)) return { skipped: `MONGODB_URI is not set and the FerretDB test binary ${FERRETDB_BINARY} is not built (npm test builds it)` };
        const ferretdb = await startFerretDb();
        cleanup.unshift(ferretdb.stop);
        base = ferretdb.uri;
        storePid = ferretdb.pid;
      }
      mongodbUri = withDatabase(base, `idp_bench_${randomBytes(6).toString('hex')}`);
      cleanup.unshift(() => dropMongoDatabase(mongodbUri).catch((error) => console.error(`could not drop the bench database: ${error.message}`)));
    }
    // The bench's own connection to the store: for seeding and for the invariant check.
    const storage = await openStorage({ dataDir, mongodbUri });
    cleanup.unshift(() => storage.close());
    if (!storage.partners || !storage.loyalty) {
      return { skipped: `the ${storage.kind} adapter has no ${storage.partners ? 'loyalty' : 'partners'} repository (storage.${storage.partners ? 'loyalty' : 'partners'} is missing in dist/adapters)` };
    }

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const profile = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `earn-${name}.cpuprofile`] : [];
    const { child } = await spawnLogged(`server-${name}`, process.execPath, [...profile, 'dist/server/main.js'], {
      NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', ISSUER: url, DATA_DIR: dataDir, LOG_LEVEL: 'info', // as deployed: one access-log line per request
      BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      MONGODB_URI: mongodbUri, // undefined removes an inherited one: SQLite then
    }, /"msg":"listening"/);
    cleanup.unshift(() => stopChild(child));

    const adminToken = await clientCredentials(url, ADMIN_ID, ADMIN_SECRET, { scope: 'admin' });
    const partner = await adminPost(url, adminToken, '/admin/partners', { name: 'Bench partner' });
    const resource = `${url}/partner-api`;
    const client = await adminPost(url, adminToken, '/admin/clients', {
      client_name: 'Bench partner back end', grant_types: ['client_credentials'], scope: 'loyalty:earn', allowed_resources: [resource], partner_id: partner.id,
    });
    const token = await clientCredentials(url, client.client_id, client.client_secret, { scope: 'loyalty:earn', resource });

    const seedStarted = performance.now();
    const members = await seed(storage, partner.id, generateMemberNumber);
    const seedS = (performance.now() - seedStarted) / 1000;

    const target = { url, token, serverPid: child.pid, storePid };
    const state = { members, sent: 0, done: [] };
    await load(target, WARMUP_S, state, false);
    const result = await load(target, DURATION_S, state, true);
    const verified = await verify(storage, partner.id, members);
    return { ...result, ...verified, seedS, firstError: state.firstError, kind: storage.kind, store: storePid ? 'FerretDB' : mongodbUri ? 'MONGODB_URI' : 'SQLite' };
  } finally {
    for (const step of cleanup) await step();
  }
}

// Bounded in time even if a server hangs: give up, kill everything this script started, exit 1.
const deadline = setTimeout(() => {
  console.error('benchmark overran its time limit');
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, ADAPTERS.length * (WARMUP_S + DURATION_S + 120) * 1000);

const fixed = (value, digits = 1) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
let failed = false;
console.log(`partner API earns, ${CONCURRENCY} concurrent keep-alive clients, ${DURATION_S}s after ${WARMUP_S}s warm-up, `
  + `${SEED_MEMBERS} members, 1 replay in ${REPLAY_EVERY}, node ${process.version}`);
try {
  for (const name of ADAPTERS) {
    let result;
    try {
      result = await runAdapter(name);
    } catch (error) {
      failed = true;
      console.log(`${name}: FAILED: ${error.stack ?? error}`);
      continue;
    }
    if (result.skipped) {
      console.log(`${name}: skipped: ${result.skipped}`);
      continue;
    }
    const errors = Object.entries(result.errors).map(([status, count]) => `${status}: ${count}`).join(', ') || 'none';
    const cpu = [
      result.serverCpuUs === undefined ? undefined : `server ${fixed(result.serverCpuUs, 0)} µs`,
      result.storeCpuUs === undefined ? undefined : `FerretDB ${fixed(result.storeCpuUs, 0)} µs`,
      result.generatorCpuUs === undefined ? undefined : `load generator ${fixed(result.generatorCpuUs, 0)} µs`,
    ].filter(Boolean).join(', ');
    console.log(`${name} (${result.store}; seeded in ${fixed(result.seedS)} s):`);
    console.log(`  ${fixed(result.earnsPerS, 0)} earns/s + ${fixed(result.replaysPerS, 0)} replays/s; earn latency p50 ${fixed(result.p50)} ms, `
      + `p95 ${fixed(result.p95)} ms, p99 ${fixed(result.p99)} ms; replay p50 ${fixed(result.replayP50)} ms`);
    console.log(`  errors: ${errors}${result.firstError ? ` (first: ${result.firstError})` : ''}`);
    console.log(`  CPU per answered request: ${cpu || 'n/a (no /proc)'}`);
    if (result.replayMismatches) console.log(`  replays answered wrongly (not marked, or another entry): ${result.replayMismatches}`);
    if (result.failures.length === 0 && result.replayMismatches === 0) {
      console.log(`  invariants: ok (${SEED_MEMBERS} members, ${result.entriesChecked} entries)`);
    } else {
      failed = true;
      console.log(`  invariants: ${result.failures.length} failures`);
      for (const failure of result.failures.slice(0, 20)) console.log(`    ${failure}`);
      if (result.failures.length > 20) console.log(`    ... and ${result.failures.length - 20} more`);
    }
  }
} finally {
  clearTimeout(deadline);
  agent.destroy();
  if (!failed) rmSync(logDir, { recursive: true, force: true });
  else console.log(`logs kept in ${logDir}`);
}
process.exitCode = failed ? 1 : 0;
