// Client-credentials tokens of one server in three forms, in interleaved rounds of the same run: opaque (no
// resource), a JWT for a resource (ES256, the default) and a JWT for a resource listed in RS256_RESOURCES.
// Prints each rate and the JWT/opaque ratios (target: ES256 JWTs at least 0.6 of opaque), and the server's main-thread
// CPU per token of each form (steadier than a rate on a shared machine).
// Usage: npm run build && npm run bench:jwt   (options: DURATION_S, ROUNDS, CONCURRENCY; FORMS=opaque,es256 measures only those
// forms; PROFILE_DIR writes a --cpu-prof profile of the server there). The server runs with `npm start`'s node options.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminPost, clientCredentials } from './lib/oauth.mjs';
import { benchmarkPreamble, children, freePort, spawnLogged, startNodeFlags, stopChild } from './lib/processes.mjs';
import { mainThreadCpuMs } from './proc-cpu.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DURATION_S = Number(process.env.DURATION_S ?? 15);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const FORMS = process.env.FORMS?.split(',');
const PROFILE_DIR = process.env.PROFILE_DIR;
const ADMIN = { id: 'bench-admin', secret: 'bench-admin-secret-0123456789abcdef' };
const ES_API = 'https://api.bench.example/';
const RS_API = 'https://legacy-api.bench.example/';

benchmarkPreamble(ROOT, DURATION_S * 3 + 120);

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

/** Closed loop: CONCURRENCY workers, each asking for the next token when the last one came; tokens per second. */
async function rate(base, client, params, seconds) {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      await clientCredentials(base, client.client_id, client.client_secret, params, { agent });
      count += 1;
    }
  }));
  return count / seconds;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-bench-jwt-'));
  const logDir = mkdtempSync(join(tmpdir(), 'idp-bench-jwt-logs-'));
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { child } = await spawnLogged({
      name: 'server', command: process.execPath, args: [...startNodeFlags(ROOT), ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []), 'dist/server/main.js'], cwd: ROOT, logFile: join(logDir, 'server.log'),
      env: {
        NODE_ENV: 'development', PORT: String(port), ISSUER: base, DATA_DIR: dataDir, LOG_LEVEL: 'info', MONGODB_URI: undefined,
        BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN.id, BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN.secret, RS256_RESOURCES: RS_API,
      },
      ready: /"msg":"listening"/,
    });
    const adminToken = await clientCredentials(base, ADMIN.id, ADMIN.secret, { scope: 'admin' }, { agent });
    const client = await adminPost(base, adminToken, '/admin/clients', {
      client_name: 'Bench partner back end', grant_types: ['client_credentials'], scope: 'email', allowed_resources: [ES_API, RS_API],
    }, { agent });
    const forms = {
      opaque: { scope: 'email' },
      'JWT ES256': { scope: 'email', resource: ES_API },
      'JWT RS256': { scope: 'email', resource: RS_API },
    };
    const names = Object.keys(forms).filter((name) => !FORMS || FORMS.includes(name.replace('JWT ', '').toLowerCase()));
    for (const name of names) await rate(base, client, forms[name], 1);
    const totals = Object.fromEntries(names.map((name) => [name, 0]));
    const cpu = Object.fromEntries(names.map((name) => [name, { ms: 0, tokens: 0 }]));
    const perRound = DURATION_S / ROUNDS;
    for (let round = 0; round < ROUNDS; round += 1) {
      // Rotating order: drift in the VM's speed spreads over all three instead of favouring one.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const cpu0 = mainThreadCpuMs(child.pid);
        const perSecond = await rate(base, client, forms[name], perRound);
        cpu[name].ms += mainThreadCpuMs(child.pid) - cpu0;
        cpu[name].tokens += perSecond * perRound;
        totals[name] += perSecond / ROUNDS;
      }
    }
    await stopChild(child);
    console.log(`client_credentials on one server (sqlite), ${CONCURRENCY} concurrent, ${DURATION_S}s per form in ${ROUNDS} rotating rounds, node ${process.version}`);
    for (const name of names) console.log(`${name.padEnd(10)} ${totals[name].toFixed(0)} tokens/s, server main thread ${((cpu[name].ms / cpu[name].tokens) * 1000).toFixed(0)} µs CPU per token`);
    if (!FORMS) console.log(`ratio JWT ES256 / opaque: ${(totals['JWT ES256'] / totals.opaque).toFixed(2)} (target >= 0.60); JWT RS256 / opaque: ${(totals['JWT RS256'] / totals.opaque).toFixed(2)}`);
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
