// Full password sign-ins per second (authorization request → sign-in page → password → redirect back →
// code exchange, no browser) as a fraction of the raw argon2id verify rate with the server's parameters on
// the same cores, measured in interleaved rounds of the same run. While sign-ins run flat out, a probe reads
// discovery and the JWKS and reports their latency. A bare oidc-provider (in memory, a bare form, the same argon2id
// verify: bench/bare-sign-in-provider.mjs) runs the same sign-ins in the same rounds, so the figure can be read
// against what the protocol library alone reaches on these cores. Then the first sign-in of members imported with a bcrypt
// hash (verify, then rehash to argon2id) against members already on argon2id.
// Usage: npm run build && npm run bench:signin  (options: DURATION_S, ROUNDS, CONCURRENCY, MEMBERS, BCRYPT_MEMBERS; BARE=patched;
// PROFILE_DIR writes a --cpu-prof profile of each of the server's threads there; PROBE_FILE writes the probe's reads
// and the sign-in rounds' times as JSON). Also prints the server's main-thread
// CPU per sign-in and its event-loop delay (bench/lib/event-loop-delay.mjs) during the loaded rounds.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Browser } from './lib/browser.mjs';
import { bareProviderFlags, benchmarkPreamble, children, freePort, percentile, spawnLogged, startNodeFlags, stopChild } from './lib/processes.mjs';
import { seedMembers, seedPublicClient } from './lib/seed.mjs';
import { mainThreadCpuMs } from './proc-cpu.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DURATION_S = Number(process.env.DURATION_S ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const MEMBERS = Number(process.env.MEMBERS ?? 200);
const BCRYPT_MEMBERS = Number(process.env.BCRYPT_MEMBERS ?? 40);
const PROBE_EVERY_MS = 20;
const PROFILE_DIR = process.env.PROFILE_DIR;
const PROBE_FILE = process.env.PROBE_FILE;
const CLIENT = { id: 'bench-app', redirectUri: 'http://127.0.0.1:9/callback' };

benchmarkPreamble(ROOT, DURATION_S * 2 + 600);

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 4 });
/** A distinct public-looking address per member: per-address limits see a crowd of members, not one bot. */
const ipOf = (i) => `${11 + (i % 80)}.${(i >> 8) % 250 + 1}.${i % 250 + 1}.${(i % 7) + 10}`;

/** Raw argon2id verifies per second for `seconds`, CONCURRENCY at a time (libuv's pool spreads them over the cores). */
async function verifyRate(seconds) {
  const { hashPassword, verifyPassword } = await import('../dist/server/domain/accounts/password-hasher.js');
  const hash = await hashPassword('correct horse battery staple');
  const end = Date.now() + seconds * 1000;
  let count = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      if (!(await verifyPassword(hash, 'correct horse battery staple'))) throw new Error('verify failed');
      count += 1;
    }
  }));
  return count / seconds;
}

/** Full sign-ins for `seconds`, CONCURRENCY members at a time, each on its own known device and address. */
async function signInRate(base, members, seconds, failures, totals) {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const member = members[next++ % members.length];
      const browser = new Browser({ base, ip: member.ip, client: CLIENT, agent, cookies: { device: member.deviceId } });
      const outcome = await browser.signIn(member.email, member.password);
      if (outcome !== 'signed_in') {
        failures.push(outcome);
        continue;
      }
      await browser.exchangeCode();
      count += 1;
    }
  }));
  if (totals) totals.signIns += count;
  return count / seconds;
}

/**
 * Reads discovery and the JWKS in turn every PROBE_EVERY_MS (on a fixed schedule) until stopped. In a worker thread
 * (bench/lib/metadata-probe.mjs): on this thread its reads waited behind the sign-in load generator's own work
 * (8 scripted browsers parsing pages), which is the client's queue, not the server's. stop() answers the reads
 * ({ at, ms }) and the probe thread's own event-loop delay.
 */
function probe(base) {
  const worker = new Worker(new URL('./lib/metadata-probe.mjs', import.meta.url), { workerData: { base, everyMs: PROBE_EVERY_MS } });
  const done = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { stop: async () => { worker.postMessage('stop'); const result = await done; await worker.terminate(); return result; } };
}

/** Epoch milliseconds, the clock the probe stamps its reads with. */
const now = () => performance.timeOrigin + performance.now();

/** Each member signs in once, a few at a time; mean milliseconds per sign-in (page, password, redirect, exchange). */
async function firstSignIns(base, members) {
  const times = [];
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < members.length) {
      const member = members[next++];
      const browser = new Browser({ base, ip: member.ip, client: CLIENT, agent, cookies: { device: member.deviceId } });
      const t0 = performance.now();
      const outcome = await browser.signIn(member.email, member.password);
      if (outcome !== 'signed_in') throw new Error(`${member.email}: ${outcome}`);
      await browser.exchangeCode();
      times.push(performance.now() - t0);
    }
  }));
  return times.reduce((a, b) => a + b, 0) / times.length;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-signin-'));
  const logDir = mkdtempSync(join(tmpdir(), 'idp-bench-signin-logs-'));
  const kek = randomBytes(32);
  try {
    const { default: bcrypt } = await import('bcryptjs');
    const members = await seedMembers({ dataDir, kek, count: MEMBERS, devices: true, ipFor: ipOf });
    const argonFirst = await seedMembers({ dataDir, kek, count: BCRYPT_MEMBERS, prefix: 'argon', devices: true, ipFor: (i) => ipOf(MEMBERS + i) });
    const bcryptMembers = await seedMembers({ dataDir, kek, count: BCRYPT_MEMBERS, prefix: 'bcrypt', devices: true, ipFor: (i) => ipOf(MEMBERS + BCRYPT_MEMBERS + i), hashFor: (password) => bcrypt.hash(password, 10) });
    await seedPublicClient({ dataDir, id: CLIENT.id, redirectUri: CLIENT.redirectUri });
    const port = await freePort();
    const { child } = await spawnLogged({
      name: 'server', command: process.execPath, args: [...startNodeFlags(ROOT), '--import', './bench/lib/event-loop-delay.mjs', ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []), 'dist/server/main.js'], cwd: ROOT, logFile: join(logDir, 'server.log'),
      env: { NODE_ENV: 'development', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, TRUST_PROXY: 'true', LOG_LEVEL: 'info', KEY_ENCRYPTION_KEY: kek.toString('hex'), EVENT_LOOP_DELAY_FILE: join(logDir, 'event-loop-delay.json'), MONGODB_URI: undefined, SMTP_URL: undefined },
      ready: /"msg":"listening"/,
    });
    const base = `http://127.0.0.1:${port}`;
    const barePort = await freePort();
    const { child: bareChild } = await spawnLogged({
      name: 'bare oidc-provider', command: process.execPath, args: [...bareProviderFlags().args, 'bench/bare-sign-in-provider.mjs'], cwd: ROOT, logFile: join(logDir, 'bare.log'),
      env: { PORT: String(barePort), CLIENT_ID: CLIENT.id, REDIRECT_URI: CLIENT.redirectUri, NODE_ENV: 'production' },
      stdin: `${members.map(({ email, passwordHash }) => JSON.stringify({ email, hash: passwordHash })).join('\n')}\n\n`,
      ready: /ready \d+/,
    });
    const bareBase = `http://127.0.0.1:${barePort}`;
    const failures = [];
    // Warm-up: JIT, template and statement caches, the argon2 thread pool.
    await signInRate(base, members, 2, failures);
    await signInRate(bareBase, members, 2, failures);
    await verifyRate(1);

    const idleProbe = probe(base);
    await sleep(2000);
    const idle = await idleProbe.stop();

    const perRound = DURATION_S / ROUNDS;
    let verifies = 0;
    let signIns = 0;
    let bareSignIns = 0;
    const ratios = [];
    const bareRatios = [];
    const loaded = probe(base);
    // When our sign-ins ran: the probe's reads are split into those (the target) and the other legs (raw verifies,
    // where the load is this process's own argon2 threads, and the bare provider's sign-ins).
    const signInWindows = [];
    // Main-thread CPU and the event-loop delay are counted over our sign-in legs only.
    const totals = { signIns: 0, mainCpuMs: 0 };
    const timedSignIns = async () => {
      child.kill('SIGUSR2');
      const cpu0 = mainThreadCpuMs(child.pid);
      const from = now();
      const rate = await signInRate(base, members, perRound, failures, totals);
      signInWindows.push([from, now()]);
      totals.mainCpuMs += mainThreadCpuMs(child.pid) - cpu0;
      child.kill('SIGUSR2');
      return rate;
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      // Rotating order: the VM's speed drifts over seconds, and a fixed order would hand the drift to the ratios.
      const legs = {
        verify: () => verifyRate(perRound),
        ours: () => timedSignIns(),
        bare: () => signInRate(bareBase, members, perRound, failures),
      };
      const order = ['verify', 'ours', 'bare'];
      const rate = {};
      for (let i = 0; i < order.length; i += 1) {
        const leg = order[(round + i) % order.length];
        rate[leg] = await legs[leg]();
      }
      verifies += rate.verify / ROUNDS;
      signIns += rate.ours / ROUNDS;
      bareSignIns += rate.bare / ROUNDS;
      ratios.push(rate.ours / rate.verify);
      bareRatios.push(rate.bare / rate.verify);
    }
    const whileLoaded = await loaded.stop();
    await sleep(200);
    const loopDelays = JSON.parse(readFileSync(join(logDir, 'event-loop-delay.json'), 'utf8'));
    const byP99 = loopDelays.map((period) => period.p99).sort((a, b) => a - b);
    const loopDelay = { p50: loopDelays.map((period) => period.p50).sort((a, b) => a - b)[Math.floor(loopDelays.length / 2)], p99: `${byP99[Math.floor(byP99.length / 2)]} ms (median of the rounds; worst round ${byP99.at(-1)})`, max: Math.max(...loopDelays.map((period) => period.max)) };
    const duringSignIns = whileLoaded.reads.filter((read) => signInWindows.some(([from, to]) => read.at >= from && read.at < to));
    const inSignIns = new Set(duringSignIns);
    const duringOthers = whileLoaded.reads.filter((read) => !inSignIns.has(read));
    if (PROBE_FILE) writeFileSync(PROBE_FILE, JSON.stringify({ reads: whileLoaded.reads, signInWindows }));

    const argonMs = await firstSignIns(base, argonFirst);
    const bcryptMs = await firstSignIns(base, bcryptMembers);
    await stopChild(child);
    await stopChild(bareChild);

    const sorted = [...ratios].sort((a, b) => a - b);
    const lat = (reads) => {
      const s = reads.map((read) => read.ms).sort((a, b) => a - b);
      return `p50 ${percentile(s, 0.5).toFixed(1)} ms, p99 ${percentile(s, 0.99).toFixed(1)} ms (${s.length} reads)`;
    };
    console.log(`password sign-ins, ${CONCURRENCY} concurrent, ${DURATION_S}s in ${ROUNDS} interleaved rounds, ${MEMBERS} members, node ${process.version}`);
    console.log(`raw argon2id verify (server parameters, same cores): ${verifies.toFixed(1)}/s`);
    console.log(`full sign-ins (authorize, page, password, redirect, code exchange): ${signIns.toFixed(1)}/s${failures.length ? `; ${failures.length} not signed in: ${JSON.stringify(failures.slice(0, 3))}` : ''}`);
    console.log(`ratio sign-ins/verifies: ${(signIns / verifies).toFixed(2)} (target >= 0.85); per round: median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}, range ${sorted[0].toFixed(2)}-${sorted.at(-1).toFixed(2)}`);
    const bareSorted = [...bareRatios].sort((a, b) => a - b);
    console.log(`bare ${bareProviderFlags().label} (memory, bare form, same verify), same rounds: ${bareSignIns.toFixed(1)}/s, ratio ${(bareSignIns / verifies).toFixed(2)} (per round median ${bareSorted[Math.floor(bareSorted.length / 2)].toFixed(2)}); ours/bare ${(signIns / bareSignIns).toFixed(2)}`);
    const own = (probeRun) => `probe thread's own event-loop delay p99 ${probeRun.ownDelay.p99.toFixed(1)} ms, max ${probeRun.ownDelay.max.toFixed(1)} ms`;
    console.log(`discovery + JWKS while idle: ${lat(idle.reads)}`);
    console.log(`discovery + JWKS while our sign-ins run: ${lat(duringSignIns)} (target p99 <= 20 ms); during the other legs (raw verifies, bare provider): ${lat(duringOthers)}; ${own(whileLoaded)}`);
    console.log(`server main thread during the sign-in rounds: ${(totals.mainCpuMs / totals.signIns).toFixed(1)} ms CPU per sign-in (${totals.signIns} sign-ins); event-loop delay during them: p50 ${loopDelay.p50} ms, p99 ${loopDelay.p99}, max ${loopDelay.max} ms`);
    console.log(`first sign-in, ${BCRYPT_MEMBERS} members each, 4 at a time: argon2id member ${argonMs.toFixed(0)} ms, bcrypt (cost 10) member ${bcryptMs.toFixed(0)} ms (verify + rehash to argon2id)`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
    agent.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
