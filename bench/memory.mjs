// Memory of our server against a bare oidc-provider, same run: resident set size once idle after boot, and the
// peak while client-credentials tokens are requested flat out. Figures from /proc (Linux).
// Usage: npm run build && npm run bench:memory   (options: IDLE_S, LOAD_S, CONCURRENCY; MONGODB_URI for the Mongo adapter;
// NODE_FLAGS: node options of our server instead of those of `npm start`; BARE=skip: ours only; BARE=patched: the bare
// provider on our patched oidc-provider instead of the published one; MEMORY_PROBE_FILE: where our server writes what its
// RSS was made of at its highest, see bench/lib/memory-probe.mjs)
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientCredentials } from './lib/oauth.mjs';
import { bareProviderFlags, benchmarkPreamble, freePort, spawnLogged, startNodeFlags, stopChild } from './lib/processes.mjs';
import { cpuMs, rssMb, sampleRss } from './proc-cpu.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const IDLE_S = Number(process.env.IDLE_S ?? 15);
const LOAD_S = Number(process.env.LOAD_S ?? 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-0123456789abcdefghijklmnop';
const IDLE_TARGET_MB = 150;
const PEAK_TARGET_MB = 300;

benchmarkPreamble(ROOT, 2 * (IDLE_S + LOAD_S) + 120);

async function measure(name, args, env, ready) {
  const port = await freePort();
  const { child } = await spawnLogged({ name, command: process.execPath, args, cwd: ROOT, env: { ...env, PORT: String(port) }, ready, logFile: join(logDir, `${name.replace(/\W+/g, '-')}.log`) });
  const base = `http://127.0.0.1:${port}`;
  try {
    // Idle as a deployed server sits between bursts: booted, one request served, nothing else.
    await clientCredentials(base, CLIENT_ID, CLIENT_SECRET, { scope: 'admin' });
    await sleep(IDLE_S * 1000);
    const idle = rssMb(child.pid);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const sampler = sampleRss(child.pid);
    const cpuBefore = cpuMs(child.pid);
    const end = Date.now() + LOAD_S * 1000;
    let tokens = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await clientCredentials(base, CLIENT_ID, CLIENT_SECRET, { scope: 'admin' }, { agent });
        tokens += 1;
      }
    }));
    const peak = sampler.stop();
    const cpu = cpuMs(child.pid) - cpuBefore;
    agent.destroy();
    return { idle, peak, tokens, cpuPerToken: (cpu * 1000) / tokens };
  } finally {
    await stopChild(child);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-memory-'));
const logDir = mkdtempSync(join(tmpdir(), 'idp-bench-memory-logs-'));
try {
  // As deployed: with the node options of `npm start` (and the Dockerfile).
  const flags = process.env.NODE_FLAGS?.split(' ').filter(Boolean) ?? startNodeFlags(ROOT);
  const probe = process.env.MEMORY_PROBE_FILE ? ['--import', './bench/lib/memory-probe.mjs'] : [];
  const ours = await measure('our server', [...flags, ...probe, 'dist/server/main.js'], {
    NODE_ENV: 'development', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info',
    BOOTSTRAP_ADMIN_CLIENT_ID: CLIENT_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: CLIENT_SECRET,
  }, /"msg":"listening"/);
  const bare = process.env.BARE === 'skip' ? undefined : await measure('bare oidc-provider', [...bareProviderFlags().args, 'bench/bare-provider.mjs'], { CLIENT_ID, CLIENT_SECRET }, /ready \d+/);
  const mb = (value) => (value === undefined ? 'n/a' : `${value.toFixed(0)} MB`);
  const store = process.env.MONGODB_URI ? 'mongodb' : 'sqlite';
  console.log(`resident memory (RSS), node ${process.version}: idle ${IDLE_S}s after boot, then client_credentials flat out for ${LOAD_S}s, ${CONCURRENCY} concurrent`);
  console.log(`ours (${store}${flags.length > 0 ? `, ${flags.join(' ')}` : ''}):   idle ${mb(ours.idle)} (target <= ${IDLE_TARGET_MB} MB), peak under load ${mb(ours.peak)} (target <= ${PEAK_TARGET_MB} MB), ${ours.tokens} tokens, ${ours.cpuPerToken.toFixed(0)} µs server CPU per token`);
  if (bare) console.log(`bare ${bareProviderFlags().label}: idle ${mb(bare.idle)}, peak under load ${mb(bare.peak)}, ${bare.tokens} tokens, ${bare.cpuPerToken.toFixed(0)} µs server CPU per token`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
}
