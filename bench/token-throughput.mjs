// Client-credentials token throughput: our server (built, on the embedded store unless MONGODB_URI is
// set) against a bare oidc-provider with its in-memory adapter, both started by this script, same run.
// Usage: npm run build && npm run bench   (options: DURATION_S, CONCURRENCY, WARMUP_S, ROUNDS, BASELINE=self; PROFILE_DIR
// writes a --cpu-prof profile of each server there; NODE_FLAGS / BASELINE_NODE_FLAGS: node options of our server / of
// the self baseline, by default those of `npm start`; e.g. BASELINE=self NODE_FLAGS= BASELINE_NODE_FLAGS=--max-semi-space-size=16
// is an A/B of a V8 flag in one run; BASELINE=/other/checkout: that checkout's build as the baseline; RATE=n: open-loop load at n requests/s per server instead of CONCURRENCY closed-loop
// clients, latency counted from each request's scheduled send time; the bare provider runs oidc-provider as published, BARE=patched
// runs it with our install-time patch, scripts/patch-dependencies.mjs)
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { bareProviderFlags, startNodeFlags } from './lib/processes.mjs';
import { cpuMs, machineTicks } from './proc-cpu.mjs';

// 30 s per server in 1 s rounds: on this shared VM the rate of one server swings by half from one
// minute to the next, and a 10 s run's ratio ranged 0.73-0.90 for one build.
const DURATION_S = Number(process.env.DURATION_S ?? 30);
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const PROFILE_DIR = process.env.PROFILE_DIR;
// Open loop (issue 19, the tail): with CONCURRENCY clients that each wait for their answer, every client is
// queued behind the others on 2 shared cores, so p99.9 measures the load generator's queue as much as the
// server. At a fixed rate below capacity a request waits only for what the server itself does (a checkpoint,
// a collection); both servers get the same schedule.
const RATE = process.env.RATE ? Number(process.env.RATE) : undefined;
// A gap this long between two answers, with every client waiting on one, counts as an event-loop stall.
const STALL_MS = Number(process.env.STALL_MS ?? 20);
// BASELINE=self runs a second copy of our server (own data dir) in the bare provider's place: an A/A
// run whose ratio should be 1.00, so its spread is this machine's noise floor for the real ratio.
const SELF_BASELINE = process.env.BASELINE === 'self' || Boolean(process.env.BASELINE?.includes('/'));
// BASELINE=/path/to/another/checkout runs that checkout's build (its dist/ and node_modules) as the baseline: an A/B
// of two builds in one run, interleaved like the real comparison.
const BASELINE_ROOT = process.env.BASELINE?.includes('/') ? process.env.BASELINE : undefined;
// The baseline's process name: its log and profile files are named after it (bench/profile-diff.mjs reads them).
const BASELINE_NAME = BASELINE_ROOT ? 'baseline build' : SELF_BASELINE ? 'our server again' : 'bare oidc-provider';
const flags = (name) => (process.env[name]?.split(' ').filter(Boolean) ?? startNodeFlags(new URL('..', import.meta.url).pathname));
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-0123456789abcdefghijklmnop';
const AUTH = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

/**
 * Starts a server with its stdout going to a file, as a deployed server's logs go to a collector: piping
 * them into this process would make the load generator pay for reading our access log.
 */
function start(name, args, env) {
  if (PROFILE_DIR) args = ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${name.replace(/\W+/g, '-')}.cpuprofile`, ...args];
  const logFile = join(logDir, `${name.replace(/\W+/g, '-')}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const text = readFileSync(logFile, 'utf8');
      const ready = /ready (\d+)/.exec(text) ?? /"port":(\d+).*"msg":"listening"/.exec(text);
      if (!ready) return;
      done();
      resolve({ child, url: `http://127.0.0.1:${ready[1]}` });
    }, 50);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${name} did not start`));
    }, 20_000);
    const onExit = (code) => {
      done();
      reject(new Error(`${name} exited with ${code}`));
    };
    const done = () => {
      clearInterval(poll);
      clearTimeout(timer);
      child.removeListener('exit', onExit);
    };
    child.once('exit', onExit);
  });
}

async function stop({ child }) {
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const BODY = 'grant_type=client_credentials&scope=admin';
// node:http with keep-alive rather than fetch: the load generator shares the two cores with the
// server, so the lighter it is, the more the figures measure the server.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function requestToken(url) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/token`, {
      method: 'POST',
      agent,
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', 'content-length': BODY.length },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => (text.includes('"access_token"') ? resolve() : reject(new Error(`token request failed: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('token request timed out')));
    req.end(BODY);
  });
}

/**
 * Open-loop load for `seconds`: request k is due at start + k / RATE whether or not earlier ones answered, and its
 * latency runs from when it was due (a request sent late because the process was busy still counts its wait).
 */
async function openLoop(server, seconds, sample, onAnswer) {
  const started = performance.now();
  const total = Math.floor(seconds * RATE);
  const pending = [];
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE) + 1);
      for (; sent < due; sent++) {
        const scheduled = started + (sent * 1000) / RATE;
        // How late this process sent it: on a busy machine the load generator's own lag, which the latency includes.
        (sample.sendLags ??= []).push(performance.now() - scheduled);
        pending.push(requestToken(server.url).then(() => onAnswer(scheduled)));
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
}

/** Closed-loop load for `seconds`: CONCURRENCY workers each send the next request when the last one answers. */
async function load(server, seconds, sample) {
  const end = Date.now() + seconds * 1000;
  const cpuStart = cpuMs(server.child.pid);
  const machineStart = machineTicks();
  // The longest gaps between two answers (any client): with 16 clients in flight, a gap of tens of ms is
  // the server's event loop stalled (a checkpoint, a collection), seen from outside as the deployed one would be.
  let lastAnswer = performance.now();
  const walSampler = server.walFile ? setInterval(() => {
    try {
      sample.walMaxBytes = Math.max(sample.walMaxBytes ?? 0, statSync(server.walFile).size);
    } catch {
      // Not created yet.
    }
  }, 50) : undefined;
  const answered = (started) => {
    const now = performance.now();
    sample.latencies.push(now - started);
    if (now - lastAnswer >= STALL_MS) (sample.stalls ??= []).push(now - lastAnswer);
    lastAnswer = now;
  };
  const worker = async () => {
    while (Date.now() < end) {
      const started = performance.now();
      await requestToken(server.url);
      answered(started);
    }
  };
  if (RATE) await openLoop(server, seconds, sample, answered);
  else await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (walSampler) clearInterval(walSampler);
  const cpuEnd = cpuMs(server.child.pid);
  const machineEnd = machineTicks();
  if (machineStart && machineEnd) {
    sample.stealTicks = (sample.stealTicks ?? 0) + machineEnd.steal - machineStart.steal;
    sample.totalTicks = (sample.totalTicks ?? 0) + machineEnd.total - machineStart.total;
  }
  sample.cpuMs = cpuStart === undefined || cpuEnd === undefined ? undefined : (sample.cpuMs ?? 0) + cpuEnd - cpuStart;
}

/**
 * Event-loop delay inside our server, from its /metrics (prom-client's monitorEventLoopDelay histogram, 10 ms
 * resolution, reset by each scrape): read once before the rounds to reset it and once after. The bare provider
 * has no metrics (undefined).
 */
async function eventLoopLag(server) {
  if (!server.metrics) return undefined;
  try {
    const response = await fetch(`${server.url}/metrics`);
    if (!response.ok) return undefined;
    const text = await response.text();
    const value = (name) => Number(new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1]) * 1000;
    return { p99: value('p99'), max: value('max') };
  } catch {
    return undefined;
  }
}

function summary(sample) {
  const latencies = sample.latencies.sort((a, b) => a - b);
  return {
    cpuPerToken: sample.cpuMs === undefined ? undefined : (sample.cpuMs * 1000) / latencies.length,
    rate: latencies.length / DURATION_S,
    steal: sample.totalTicks ? sample.stealTicks / sample.totalTicks : undefined,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p95: latencies[Math.floor(latencies.length * 0.95)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    p999: latencies[Math.floor(latencies.length * 0.999)],
    max: latencies.at(-1),
    stalls: (sample.stalls ?? []).sort((a, b) => b - a),
    walMaxBytes: sample.walMaxBytes,
    sendLags: sample.sendLags?.sort((a, b) => a - b),
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-'));
const logDir = mkdtempSync(join(tmpdir(), 'idp-bench-logs-'));
const servers = [];
const results = {};
// Each round's ours/bare ratio: the two halves of a round ran seconds apart, so drift in the VM's speed
// shows up as spread here instead of as bias in the totals.
const pairRatios = [];
// Bounded in time even if a server hangs: the benchmark gives up (and stops both servers) after this.
const deadline = setTimeout(() => {
  console.error('benchmark overran its time limit');
  for (const server of servers) server.child.kill('SIGKILL');
  process.exit(1);
}, (2 * (WARMUP_S + DURATION_S) + 60) * 1000);
try {
  const ourServer = async (name, DATA_DIR, nodeFlags, root = '.') => ({
    ...await start(name, [...nodeFlags, join(root, 'dist/server/main.js')], {
      NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATA_DIR, LOG_LEVEL: 'info', // as deployed: one access-log line per request
      BOOTSTRAP_ADMIN_CLIENT_ID: CLIENT_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: CLIENT_SECRET,
    }),
    walFile: process.env.MONGODB_URI ? undefined : join(DATA_DIR, 'idp.sqlite-wal'),
    metrics: true,
  });
  const ours = await ourServer('our server', join(dataDir, 'ours'), flags('NODE_FLAGS'));
  servers.push(ours);
  const bare = SELF_BASELINE
    ? await ourServer(BASELINE_NAME, join(dataDir, 'baseline'), flags('BASELINE_NODE_FLAGS'), BASELINE_ROOT)
    : await start(BASELINE_NAME, [...bareProviderFlags().args, 'bench/bare-provider.mjs'], { PORT: '0', CLIENT_ID, CLIENT_SECRET });
  servers.push(bare);
  const samples = { ours: { latencies: [] }, bare: { latencies: [] } };
  const warmups = { ours: { latencies: [] }, bare: { latencies: [] } };
  for (const name of ['ours', 'bare']) await load(name === 'ours' ? ours : bare, WARMUP_S, warmups[name]);
  for (const server of [ours, bare]) await eventLoopLag(server);
  // Interleaved rounds, alternating who goes first: this VM's speed drifts over seconds (shared
  // cores), and measuring one server after the other would hand that drift to the ratio.
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'];
    const counts = {};
    for (const name of order) {
      const before = samples[name].latencies.length;
      await load(name === 'ours' ? ours : bare, DURATION_S / ROUNDS, samples[name]);
      counts[name] = samples[name].latencies.length - before;
    }
    pairRatios.push(counts.ours / counts.bare);
  }
  // What bench/profile-diff.mjs divides the profiles by: every token each server issued, warm-up included.
  if (PROFILE_DIR) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, 'tokens.json'), JSON.stringify({
      ours: warmups.ours.latencies.length + samples.ours.latencies.length,
      bare: warmups.bare.latencies.length + samples.bare.latencies.length,
      baselineName: BASELINE_NAME.replace(/\W+/g, '-'),
    }));
  }
  results.ours = { ...summary(samples.ours), lag: await eventLoopLag(ours) };
  results.bare = { ...summary(samples.bare), lag: await eventLoopLag(bare) };
} finally {
  await Promise.all(servers.map(stop));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
  clearTimeout(deadline);
}

const store = process.env.MONGODB_URI ? 'mongodb' : 'sqlite';
const cpu = (r) => (r.cpuPerToken === undefined ? '' : `, server CPU ${r.cpuPerToken.toFixed(0)} µs/token`);
const fmt = (r) => `${r.rate.toFixed(0)} tokens/s (p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, p99.9 ${r.p999.toFixed(1)} ms = ${(r.p999 / r.p50).toFixed(1)}x p50 (target <= 3x), max ${r.max.toFixed(1)} ms${cpu(r)})`;
const stalls = (r) => `${r.stalls.length} gaps of >= ${STALL_MS} ms between answers${r.stalls.length > 0 ? `, longest ${r.stalls.slice(0, 5).map((ms) => ms.toFixed(0)).join(', ')} ms` : ''}${r.walMaxBytes === undefined ? '' : `; WAL file at most ${(r.walMaxBytes / 2 ** 20).toFixed(1)} MiB`}${r.lag ? `; event-loop delay in the server over the run (the other server's rounds included) p99 ${r.lag.p99.toFixed(0)} ms, max ${r.lag.max.toFixed(0)} ms` : ''}`;
console.log(`client_credentials, ${RATE ? `open loop at ${RATE} requests/s` : `${CONCURRENCY} concurrent`}, ${DURATION_S}s each in ${ROUNDS} interleaved rounds after ${WARMUP_S}s warm-up, node ${process.version}`);
console.log(`ours (${store}):            ${fmt(results.ours)}`);
console.log(`${BASELINE_ROOT ? `baseline build (${BASELINE_ROOT}):` : SELF_BASELINE ? 'baseline: our server again   ' : `bare ${bareProviderFlags().label} (memory):`} ${fmt(results.bare)}`);
if (RATE) {
  const lag = (r) => `p50 ${r.sendLags[Math.floor(r.sendLags.length * 0.5)].toFixed(1)}, p99 ${r.sendLags[Math.floor(r.sendLags.length * 0.99)].toFixed(1)}, p99.9 ${r.sendLags[Math.floor(r.sendLags.length * 0.999)].toFixed(1)} ms`;
  console.log(`load generator's lag behind the schedule (in the latencies above; large means the machine, not the server): ours ${lag(results.ours)}; ${SELF_BASELINE ? 'baseline' : 'bare'} ${lag(results.bare)}`);
}
console.log(`stalls, ours: ${stalls(results.ours)}`);
console.log(`stalls, ${SELF_BASELINE ? 'baseline' : 'bare'}: ${stalls(results.bare)}`);
const sorted = [...pairRatios].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
if (results.ours.steal !== undefined) {
  // Stolen CPU slows both servers, but not evenly when it comes in bursts; a high share means a noisy run.
  const pct = (r) => `${(100 * r.steal).toFixed(0)}%`;
  console.log(`VM steal (CPU the hypervisor gave to others) while measuring: ours ${pct(results.ours)}, ${SELF_BASELINE ? 'baseline' : 'bare'} ${pct(results.bare)}`);
}
console.log(`ratio ours/bare: ${(results.ours.rate / results.bare.rate).toFixed(2)} (target >= 0.95${RATE ? '; in open loop both rates are the schedule\'s, compare CPU per token' : ''}); per round: median ${median.toFixed(2)}, range ${sorted[0].toFixed(2)}-${sorted.at(-1).toFixed(2)}`);
