// Client-credentials token throughput: our server (built, on the embedded store unless MONGODB_URI is
// set) against a bare oidc-provider with its in-memory adapter, both started by this script, same run.
// Usage: npm run build && npm run bench   (options: DURATION_S, CONCURRENCY, WARMUP_S; PROFILE_DIR writes
// a --cpu-prof profile of each server there)
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const PROFILE_DIR = process.env.PROFILE_DIR;
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-0123456789abcdefghijklmnop';
const AUTH = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

function start(name, args, env) {
  if (PROFILE_DIR) args = ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${name.replace(/\W+/g, '-')}.cpuprofile`, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 20_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ready = /ready (\d+)/.exec(out) ?? /"port":(\d+).*"msg":"listening"/.exec(out);
      if (ready) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ child, url: `http://127.0.0.1:${ready[1]}` });
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
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
    req.end(BODY);
  });
}

/**
 * CPU time (user + system, ms) the server process has used so far, from /proc (Linux); undefined elsewhere.
 * CPU per token is steadier than the rate on a shared 2-core VM: it does not depend on who won the cores.
 */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

/** Closed-loop load: CONCURRENCY workers each send the next request when the last one answers. */
async function measure({ url, child }) {
  await requestToken(url);
  let count = 0;
  let measuring = false;
  const latencies = [];
  let cpuStart;
  const end = Date.now() + (WARMUP_S + DURATION_S) * 1000;
  setTimeout(() => {
    measuring = true;
    cpuStart = cpuMs(child.pid);
  }, WARMUP_S * 1000);
  const worker = async () => {
    while (Date.now() < end) {
      const started = performance.now();
      await requestToken(url);
      if (measuring) {
        count += 1;
        latencies.push(performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpuEnd = cpuMs(child.pid);
  latencies.sort((a, b) => a - b);
  return {
    cpuPerToken: cpuStart === undefined || cpuEnd === undefined ? undefined : ((cpuEnd - cpuStart) * 1000) / count,
    rate: count / DURATION_S,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p95: latencies[Math.floor(latencies.length * 0.95)],
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-'));
const results = {};
try {
  const ours = await start('our server', ['dist/server/main.js'], {
    NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', // as deployed: one access-log line per request
    BOOTSTRAP_ADMIN_CLIENT_ID: CLIENT_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: CLIENT_SECRET,
  });
  results.ours = await measure(ours);
  await stop(ours);
  await sleep(500);
  const bare = await start('bare oidc-provider', ['bench/bare-provider.mjs'], { PORT: '0', CLIENT_ID, CLIENT_SECRET });
  results.bare = await measure(bare);
  await stop(bare);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const store = process.env.MONGODB_URI ? 'mongodb' : 'sqlite';
const cpu = (r) => (r.cpuPerToken === undefined ? '' : `, server CPU ${r.cpuPerToken.toFixed(0)} µs/token`);
const fmt = (r) => `${r.rate.toFixed(0)} tokens/s (p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms${cpu(r)})`;
console.log(`client_credentials, ${CONCURRENCY} concurrent, ${DURATION_S}s after ${WARMUP_S}s warm-up, node ${process.version}`);
console.log(`ours (${store}):            ${fmt(results.ours)}`);
console.log(`bare oidc-provider (memory): ${fmt(results.bare)}`);
console.log(`ratio ours/bare: ${(results.ours.rate / results.bare.rate).toFixed(2)} (target >= 0.80)`);
