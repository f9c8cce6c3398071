// The same loads against our server and Keycloak 26 in one run (issue 19): client-credentials tokens (ours opaque,
// as partners get them by default, and as RS256 JWTs for a resource, the form Keycloak always issues) and full
// password sign-ins without a browser (authorization request → sign-in page → credentials → redirect → code
// exchange), in interleaved rounds; tokens/s and sign-ins/s, p50/p99, server CPU per operation, idle and peak RSS
// for both, and our figures over Keycloak's. Each side's password hash cost (one verify with its own code and
// parameters) is printed too: the two hash differently, and the sign-in ratio reads fairly only beside it.
// Keycloak: org.keycloak:keycloak-quarkus-dist (newest 26.x, or KEYCLOAK_VERSION) from Maven Central, verified and
// cached in .cache/keycloak/, run with `kc.sh start-dev` (H2 file database, theme caches on) on Java 21+ on loopback.
// Without Java 21+ or the download it says why and exits 0.
// Usage: npm run build && npm run bench:peers   (options: MEMBERS, TOKEN_S, SIGNIN_S, ROUNDS, WARMUP_S, WARMUP_MAX_S,
// WARMUP_TOKENS, WARMUP_SIGNINS, IDLE_S, TOKEN_CONCURRENCY, SIGNIN_CONCURRENCY, KEYCLOAK_VERSION)
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Browser } from './lib/browser.mjs';
import { findJava, keycloakHome, Unavailable } from './lib/keycloak-dist.mjs';
import { KeycloakAdmin, KeycloakBrowser, keycloakHashCost, startKeycloak } from './lib/keycloak-server.mjs';
import { adminPost, clientCredentials } from './lib/oauth.mjs';
import { describePolicy, phcArgon2Parameters } from './lib/peer-parsing.ts';
import { benchmarkPreamble, children, freePort, percentile, spawnLogged, stopChild, tail } from './lib/processes.mjs';
import { seedMembers, seedPublicClient } from './lib/seed.mjs';
import { cpuMs, rssMb, sampleRss } from './proc-cpu.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CACHE_DIR = join(ROOT, '.cache', 'keycloak');
const MEMBERS = Number(process.env.MEMBERS ?? 100);
const TOKEN_S = Number(process.env.TOKEN_S ?? 30);
const SIGNIN_S = Number(process.env.SIGNIN_S ?? 30);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
// The JVM compiles its hot paths after thousands of calls: Keycloak's CPU per token fell from 16 ms to 4 ms over its
// first few thousand tokens here, and with a 20 s warm-up on a busy machine it still doubled its rate while measured.
// So every load warms up on both servers for WARMUP_S and until it served WARMUP_TOKENS / WARMUP_SIGNINS, at most
// WARMUP_MAX_S, before anything is measured.
const WARMUP_S = Number(process.env.WARMUP_S ?? 20);
const WARMUP_MAX_S = Number(process.env.WARMUP_MAX_S ?? 60);
const WARMUP_TOKENS = Number(process.env.WARMUP_TOKENS ?? 3000);
const WARMUP_SIGNINS = Number(process.env.WARMUP_SIGNINS ?? 200);
const IDLE_S = Number(process.env.IDLE_S ?? 10);
const TOKEN_CONCURRENCY = Number(process.env.TOKEN_CONCURRENCY ?? 16);
const SIGNIN_CONCURRENCY = Number(process.env.SIGNIN_CONCURRENCY ?? 8);
const HASH_SAMPLES = 40;
const REALM = 'bench';
const CONFIDENTIAL = { id: 'bench-client', secret: 'bench-secret-0123456789abcdefghijklmnop' };
const RS256_API = 'https://api.bench.example/';
const APP = { id: 'bench-app', redirectUri: 'http://127.0.0.1:9/callback' };

/** A distinct public-looking address per member (as bench/sign-in-throughput.mjs): our per-address limits see a crowd. */
const ipOf = (i) => `${11 + (i % 80)}.${(i >> 8) % 250 + 1}.${i % 250 + 1}.${(i % 7) + 10}`;
const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * Closed-loop load on `server` for `seconds`: `concurrency` workers each start the next `op` when the last one
 * ends. Adds latencies, completed operations, failures and the server's CPU time (from /proc) to `sample`.
 */
async function load(server, seconds, concurrency, op, sample) {
  server.assertRunning();
  const end = Date.now() + seconds * 1000;
  const cpuStart = cpuMs(server.pid);
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    for (let i = worker; Date.now() < end; i += concurrency) {
      const started = performance.now();
      try {
        const outcome = await op(i);
        if (outcome !== true) {
          sample.failures.push(String(outcome));
          continue;
        }
      } catch (error) {
        sample.failures.push(error.message);
        continue;
      }
      sample.latencies.push(performance.now() - started);
      done += 1;
    }
  }));
  server.assertRunning();
  const cpuEnd = cpuMs(server.pid);
  if (cpuStart !== undefined && cpuEnd !== undefined) sample.cpuMs += cpuEnd - cpuStart;
  sample.seconds += seconds;
  return done / seconds;
}

const newSample = () => ({ latencies: [], failures: [], cpuMs: 0, seconds: 0 });

/**
 * `loads`: [{ name, server, op }], one named `keycloak`. Warm-up (see WARMUP_S), then `ROUNDS` rounds of `seconds / ROUNDS` each
 * per load, rotating who goes first: this VM's speed drifts over seconds, and measuring one after the other
 * would hand the drift to the ratio. Answers each load's sample, its per-round rates and ratios over Keycloak's.
 */
async function interleaved(loads, seconds, concurrency, warmupOps) {
  for (const entry of loads) {
    const warm = newSample();
    const started = Date.now();
    const elapsed = () => (Date.now() - started) / 1000;
    while (elapsed() < WARMUP_MAX_S && (elapsed() < WARMUP_S || warm.latencies.length < warmupOps)) {
      await load(entry.server, Math.min(5, WARMUP_MAX_S - elapsed()), concurrency, entry.op, warm);
    }
  }
  const samples = Object.fromEntries(loads.map((entry) => [entry.name, newSample()]));
  const ratios = Object.fromEntries(loads.map((entry) => [entry.name, []]));
  const rounds = Object.fromEntries(loads.map((entry) => [entry.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = loads.map((_, i) => loads[(i + round) % loads.length]);
    const rates = {};
    for (const entry of order) rates[entry.name] = await load(entry.server, seconds / ROUNDS, concurrency, entry.op, samples[entry.name]);
    for (const entry of loads) {
      ratios[entry.name].push(rates[entry.name] / rates.keycloak);
      rounds[entry.name].push(rates[entry.name]);
    }
  }
  return { samples, ratios, rounds };
}

function summary(sample) {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  return {
    rate: sorted.length / sample.seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    cpuPerOp: sorted.length ? sample.cpuMs / sorted.length : NaN,
    failures: sample.failures,
  };
}

/**
 * One verify of our server's argon2id hash with the server's own code, serial after a warm-up: median wall ms, and
 * median CPU ms (this process's user + system time across each verify; argon2 runs on libuv's pool, counted too).
 */
async function ourHashCost() {
  const { hashPassword, verifyPassword } = await import('../dist/server/domain/accounts/password-hasher.js');
  const password = 'correct horse battery staple';
  const hash = await hashPassword(password);
  for (let i = 0; i < 5; i += 1) await verifyPassword(hash, password);
  const times = [];
  const cpu = [];
  for (let i = 0; i < HASH_SAMPLES; i += 1) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (!(await verifyPassword(hash, password))) throw new Error('verify failed');
    times.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const parameters = phcArgon2Parameters(hash);
  const policy = parameters ? { algorithm: 'argon2', ...parameters } : { algorithm: hash.split('$')[1] ?? 'unknown', iterations: NaN };
  return { medianMs: times[Math.floor(times.length / 2)], cpuMs: cpu[Math.floor(cpu.length / 2)], policy };
}

/** A server that died mid-run fails the run with its log's tail (measuring connection refusals would be no figure). */
function assertRunning(name, child, logFile) {
  if (child.exitCode === null && child.signalCode === null) return;
  throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) during the run; its log ends:\n${tail(logFile)}`);
}

/** `JWT RS256` for a signed JWT (its header's alg), `opaque` otherwise. */
function tokenFormat(token) {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    return token.split('.').length === 3 && header.alg ? `JWT ${header.alg}` : 'opaque';
  } catch {
    return 'opaque';
  }
}

function skip(reason) {
  console.log(`bench:peers skipped: ${reason}`);
  process.exit(0);
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'server', 'main.js'))) {
    console.error('dist/server/main.js is missing: run `npm run build` first');
    process.exit(1);
  }
  let java;
  let dist;
  try {
    java = findJava();
    dist = await keycloakHome(CACHE_DIR);
  } catch (error) {
    if (error instanceof Unavailable) skip(error.message);
    throw error;
  }
  // Bounded in time once the download is behind us: Keycloak's first start (with its build step) up to 4 min, the
  // set-up, the idle wait, the hash timings, two warm-ups and the measured rounds of both loads.
  benchmarkPreamble(ROOT, 240 + 120 + IDLE_S + 60 + 5 * Math.max(WARMUP_S, WARMUP_MAX_S) + 3 * TOKEN_S + 2 * SIGNIN_S + 60);

  const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-peers-'));
  const logDir = mkdtempSync(join(tmpdir(), 'idp-bench-peers-logs-'));
  const tokenAgent = new Agent({ keepAlive: true, maxSockets: TOKEN_CONCURRENCY * 2 });
  const signInAgent = new Agent({ keepAlive: true, maxSockets: SIGNIN_CONCURRENCY * 4 });
  let keycloak;
  const stopAll = async () => {
    await keycloak?.stop();
    await Promise.all([...children].map(stopChild));
  };
  // Ctrl-C: Keycloak runs in its own process group (it would not get the terminal's SIGINT), so stop it here.
  process.once('SIGINT', () => {
    console.error('interrupted: stopping both servers');
    stopAll().finally(() => process.exit(130));
  });
  const loadAtStart = loadAverage();
  let finished = false;
  try {
    console.error(`seeding ${MEMBERS} members into our store ...`);
    const kek = randomBytes(32);
    const members = await seedMembers({ dataDir, kek, count: MEMBERS, devices: true, ipFor: ipOf });
    await seedPublicClient({ dataDir, id: APP.id, redirectUri: APP.redirectUri });
    const port = await freePort();
    const ourChild = (await spawnLogged({
      name: 'our server', command: process.execPath, args: ['dist/server/main.js'], cwd: ROOT, logFile: join(logDir, 'ours.log'),
      env: {
        NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, TRUST_PROXY: 'true',
        LOG_LEVEL: 'info', KEY_ENCRYPTION_KEY: kek.toString('hex'), MONGODB_URI: undefined, SMTP_URL: undefined,
        BOOTSTRAP_ADMIN_CLIENT_ID: CONFIDENTIAL.id, BOOTSTRAP_ADMIN_CLIENT_SECRET: CONFIDENTIAL.secret, RS256_RESOURCES: RS256_API,
      },
      ready: /"msg":"listening"/,
    })).child;
    const ours = { name: 'ours', base: `http://127.0.0.1:${port}`, pid: ourChild.pid, assertRunning: () => assertRunning('our server', ourChild, join(logDir, 'ours.log')) };

    console.error(`starting Keycloak ${dist.version} on ${java.label}${java.passedOver.length ? ` (passed over ${java.passedOver.join(', ')}: Keycloak 26 needs Java 21+)` : ''} ...`);
    const kcStarted = Date.now();
    keycloak = await startKeycloak({ home: dist.home, java, logFile: join(logDir, 'keycloak.log') });
    const kcStartS = (Date.now() - kcStarted) / 1000;
    const realmUrl = `${keycloak.base}/realms/${REALM}`;
    const kc = { name: 'keycloak', base: keycloak.base, pid: keycloak.pid, assertRunning: () => assertRunning('Keycloak', keycloak.child, join(logDir, 'keycloak.log')) };
    const admin = new KeycloakAdmin(keycloak.base, keycloak.admin);
    await admin.createRealm(REALM, { confidential: CONFIDENTIAL, app: APP });

    // A partner's back end, as bench:jwt has it: opaque tokens by default, RS256 JWTs for a resource that asks for them.
    const adminToken = await clientCredentials(ours.base, CONFIDENTIAL.id, CONFIDENTIAL.secret, { scope: 'admin' });
    const partner = await adminPost(ours.base, adminToken, '/admin/clients', {
      client_name: 'Bench partner back end', grant_types: ['client_credentials'], scope: 'email', allowed_resources: [RS256_API],
    });
    // Idle as a deployed server sits between bursts: booted, configured, one token served, nothing else.
    await clientCredentials(ours.base, partner.client_id, partner.client_secret, { scope: 'email' });
    const formats = {
      oursJwt: tokenFormat(await clientCredentials(ours.base, partner.client_id, partner.client_secret, { scope: 'email', resource: RS256_API })),
      keycloak: tokenFormat(await clientCredentials(`${realmUrl}/protocol/openid-connect`, CONFIDENTIAL.id, CONFIDENTIAL.secret, {})),
    };
    await sleep(IDLE_S * 1000);
    const idle = { ours: rssMb(ours.pid), keycloak: rssMb(kc.pid) };

    console.error(`creating the same ${MEMBERS} members in Keycloak through its admin API ...`);
    const usersStarted = Date.now();
    await admin.createUsers(REALM, members);
    const usersS = (Date.now() - usersStarted) / 1000;
    const kcPolicy = await admin.passwordPolicyOf(REALM, members[0].email);

    console.error('timing one password verify on each side ...');
    const ourHash = await ourHashCost();
    const kcHash = keycloakHashCost({ home: dist.home, java, policy: kcPolicy, count: HASH_SAMPLES });

    const peaks = { ours: sampleRss(ours.pid), keycloak: sampleRss(kc.pid) };
    console.error(`client_credentials: ${TOKEN_S} s each in ${ROUNDS} interleaved rounds ...`);
    const ourToken = (params) => async () => Boolean(await clientCredentials(ours.base, partner.client_id, partner.client_secret, params, { agent: tokenAgent }));
    const tokens = await interleaved([
      { name: 'ours', server: ours, op: ourToken({ scope: 'email' }) },
      { name: 'oursJwt', server: ours, op: ourToken({ scope: 'email', resource: RS256_API }) },
      { name: 'keycloak', server: kc, op: async () => Boolean(await clientCredentials(`${realmUrl}/protocol/openid-connect`, CONFIDENTIAL.id, CONFIDENTIAL.secret, {}, { agent: tokenAgent })) },
    ], TOKEN_S, TOKEN_CONCURRENCY, WARMUP_TOKENS);
    console.error(`password sign-ins: ${SIGNIN_S} s each in ${ROUNDS} interleaved rounds ...`);
    const signIns = await interleaved([
      { name: 'ours', server: ours, op: async (i) => {
        const member = members[i % members.length];
        const browser = new Browser({ base: ours.base, ip: member.ip, client: APP, agent: signInAgent, cookies: { device: member.deviceId } });
        const outcome = await browser.signIn(member.email, member.password);
        if (outcome !== 'signed_in') return outcome;
        await browser.exchangeCode();
        return true;
      } },
      { name: 'keycloak', server: kc, op: async (i) => {
        const member = members[i % members.length];
        const browser = new KeycloakBrowser({ realmUrl, ip: member.ip, client: APP, agent: signInAgent });
        const outcome = await browser.signIn(member.email, member.password);
        if (outcome !== 'signed_in') return outcome;
        await browser.exchangeCode();
        return true;
      } },
    ], SIGNIN_S, SIGNIN_CONCURRENCY, WARMUP_SIGNINS);
    const peak = { ours: peaks.ours.stop(), keycloak: peaks.keycloak.stop() };
    await stopAll();

    report({ java, dist, kcStartS, usersS, idle, peak, ourHash, kcHash, kcPolicy, tokens, signIns, loadAtStart, formats });
    finished = true;
  } finally {
    await stopAll();
    tokenAgent.destroy();
    signInAgent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    if (finished) rmSync(logDir, { recursive: true, force: true });
    else console.error(`servers' logs kept in ${logDir}`);
  }
}

function report({ java, dist, kcStartS, usersS, idle, peak, ourHash, kcHash, kcPolicy, tokens, signIns, loadAtStart, formats }) {
  const t = { ours: summary(tokens.samples.ours), oursJwt: summary(tokens.samples.oursJwt), keycloak: summary(tokens.samples.keycloak) };
  const s = { ours: summary(signIns.samples.ours), keycloak: summary(signIns.samples.keycloak) };
  const ratio = (a, b) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a');
  const n = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  const spread = (ratios) => {
    const sorted = [...ratios].sort((a, b) => a - b);
    return `per round: median ${n(sorted[Math.floor(sorted.length / 2)], 2)}, range ${n(sorted[0], 2)}-${n(sorted.at(-1), 2)}`;
  };
  const row = (label, ours, keycloak, better) => console.log(`${label.padEnd(50)} ${ours.padStart(12)} ${keycloak.padStart(12)} ${ratio(parseFloat(ours), parseFloat(keycloak)).padStart(8)}  ${better}`);
  const ourPolicy = describePolicy(ourHash.policy);
  // A verify is CPU-bound on one core: its CPU time is what it costs the machine, whatever else shares the cores.
  const ourCpu = ourHash.cpuMs;
  const kcCpu = kcHash.cpuMs;

  console.log(`peers: our server (SQLite, NODE_ENV=development as the other benches) vs Keycloak ${dist.version} (start-dev: H2 file database, theme caches on, kc.sh's default heap -Xms64m -Xmx512m)`);
  console.log(`node ${process.version}, ${java.label}; ${cpus().length} cores; load average ${loadAtStart} at start, ${loadAverage()} at end`);
  console.log(`each load warmed up on each server for ${WARMUP_S} s and ${WARMUP_TOKENS} tokens / ${WARMUP_SIGNINS} sign-ins (at most ${WARMUP_MAX_S} s), then measured ${TOKEN_S} s (tokens) / ${SIGNIN_S} s (sign-ins) in ${ROUNDS} interleaved rounds`);
  console.log(`${MEMBERS} members on each side; Keycloak started in ${n(kcStartS, 0)} s, its ${MEMBERS} users created through the admin API in ${n(usersS, 1)} s`);
  console.log(`access tokens: ours opaque by default, ${formats.oursJwt} for a resource that asks for RS256; Keycloak ${formats.keycloak}`);
  console.log(`password hash cost, one verify (median of ${HASH_SAMPLES} serial after a warm-up, each side's own code and parameters): ours ${ourPolicy} (node argon2): ${n(ourCpu)} ms CPU, ${n(ourHash.medianMs)} ms wall; Keycloak ${describePolicy(kcPolicy)} (Bouncy Castle, same JVM as Keycloak): ${n(kcCpu)} ms CPU, ${n(kcHash.medianMs)} ms wall`);
  console.log('');
  console.log(`${''.padEnd(50)} ${'ours'.padStart(12)} ${'Keycloak'.padStart(12)} ${'ours/KC'.padStart(8)}`);
  for (const [key, label] of [['ours', 'opaque'], ['oursJwt', formats.oursJwt]]) {
    row(`client_credentials tokens/s, ${label} (${TOKEN_CONCURRENCY} conc.)`, n(t[key].rate, 0), n(t.keycloak.rate, 0), 'higher is better');
    row('  p50 latency (ms)', n(t[key].p50), n(t.keycloak.p50), 'lower is better');
    row('  p99 latency (ms)', n(t[key].p99), n(t.keycloak.p99), 'lower is better');
    row('  server CPU per token (ms)', n(t[key].cpuPerOp, 2), n(t.keycloak.cpuPerOp, 2), 'lower is better');
  }
  row(`password sign-ins/s (${SIGNIN_CONCURRENCY} concurrent)`, n(s.ours.rate), n(s.keycloak.rate), 'higher is better');
  row('  p50 latency (ms)', n(s.ours.p50, 0), n(s.keycloak.p50, 0), 'lower is better');
  row('  p99 latency (ms)', n(s.ours.p99, 0), n(s.keycloak.p99, 0), 'lower is better');
  row('  server CPU per sign-in (ms)', n(s.ours.cpuPerOp), n(s.keycloak.cpuPerOp), 'lower is better');
  row('  CPU of one password verify (ms)', n(ourCpu), n(kcCpu), 'each side\'s own hash parameters');
  row('  CPU per sign-in outside the hash (ms)', n(s.ours.cpuPerOp - ourCpu), n(s.keycloak.cpuPerOp - kcCpu), 'lower is better');
  row('RSS idle (MB)', n(idle.ours, 0), n(idle.keycloak, 0), 'lower is better');
  row('RSS peak under both loads (MB)', n(peak.ours, 0), n(peak.keycloak, 0), 'lower is better');
  console.log('');
  console.log(`tokens ours/Keycloak: opaque ${ratio(t.ours.rate, t.keycloak.rate)} (${spread(tokens.ratios.ours)}); RS256 JWT like Keycloak's ${ratio(t.oursJwt.rate, t.keycloak.rate)} (${spread(tokens.ratios.oursJwt)})`);
  console.log(`sign-ins ours/Keycloak ${ratio(s.ours.rate, s.keycloak.rate)} (${spread(signIns.ratios.ours)})`);
  // CPU-bound capacity on the same cores is inversely proportional to CPU per sign-in: give both sides the same hash.
  const outside = { ours: s.ours.cpuPerOp - ourCpu, keycloak: s.keycloak.cpuPerOp - kcCpu };
  // A JVM still compiling its hot paths speeds up round after round: a rise here means Keycloak's figures are low.
  const trend = (list) => `${n(list.slice(0, 2).reduce((a, b) => a + b, 0) / Math.min(2, list.length))} -> ${n(list.slice(-2).reduce((a, b) => a + b, 0) / Math.min(2, list.length))}`;
  console.log(`Keycloak's rate in the first two rounds -> the last two (a rise: its JIT was still warming): tokens/s ${trend(tokens.rounds.keycloak)}, sign-ins/s ${trend(signIns.rounds.keycloak)}`);
  console.log(`sign-in capacity per CPU-second, ours/Keycloak, if both hashed alike: with Keycloak's parameters ${ratio(outside.keycloak + kcCpu, outside.ours + kcCpu)}, with ours ${ratio(outside.keycloak + ourCpu, outside.ours + ourCpu)}`);
  for (const [name, summaryOf] of [['tokens', t], ['sign-ins', s]]) {
    for (const side of Object.keys(summaryOf)) {
      const failures = summaryOf[side].failures;
      if (failures.length) console.log(`warning: ${failures.length} ${name} failed on ${side}: ${JSON.stringify([...new Set(failures)].slice(0, 3))}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
