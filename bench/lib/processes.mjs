// Shared plumbing of the benchmarks: free loopback ports, child processes that log to a file and are
// ready when a line matches, stopping them, a fresh-dist check and one keep-alive HTTP exchange.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

const START_TIMEOUT_MS = 30_000;

/** Everything started through spawnLogged that is still running (so a deadline can kill it all). */
export const children = new Set();

export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The start of a benchmark of the built server: exits when dist/ is missing, warns when it is stale, and
 * bounds the whole run to `seconds` (every child started through spawnLogged is killed then).
 */
/**
 * The node options `npm start` runs the server with (package.json), so a benchmark measures the server as deployed:
 * the tokens between `node` and the script.
 */
export function startNodeFlags(root) {
  const start = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  return start.split(/\s+/).filter((token) => token.startsWith('--'));
}

/**
 * Node options that run a bare oidc-provider baseline on the library as published (undoing
 * scripts/patch-dependencies.mjs in memory), unless BARE=patched asks for our patched copy; and the label to print.
 */
export function bareProviderFlags() {
  return process.env.BARE === 'patched'
    ? { args: [], label: 'oidc-provider with our install-time patch' }
    : { args: ['--import', './bench/lib/oidc-provider-as-published.mjs'], label: 'oidc-provider as published' };
}

export function benchmarkPreamble(root, seconds) {
  if (!existsSync(join(root, 'dist', 'server', 'main.js'))) {
    console.error('dist/server/main.js is missing: run `npm run build` first');
    process.exit(1);
  }
  warnIfDistStale(root);
  const deadline = setTimeout(() => {
    console.error(`deadline of ${seconds} s reached: stopping`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(2);
  }, seconds * 1000);
  deadline.unref();
}

/** Warns when sources changed after dist/ was built: the figures are for dist/. */
export function warnIfDistStale(root) {
  const built = statSync(join(root, 'dist', 'server', 'main.js')).mtimeMs;
  const newer = ['config', 'server', 'adapters', 'interactions']
    .flatMap((dir) => readdirSync(join(root, dir), { recursive: true }).map((file) => join(dir, String(file))))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && statSync(join(root, file)).mtimeMs > built);
  if (newer.length > 0) console.error(`warning: dist/ is older than ${newer.length} source file(s) (${newer.slice(0, 3).join(', ')}${newer.length > 3 ? ', ...' : ''}); run npm run build`);
}

export function tail(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/**
 * Spawns `command` in `cwd` (env values of undefined remove the inherited variable) with stdout to
 * `logFile` (not piped here: reading the server's log would cost the load generator CPU) and resolves
 * once `ready` matches the log.
 */
export function spawnLogged({ name, command, args, env, ready, cwd, logFile, stdin }) {
  const out = openSync(logFile, 'w');
  const merged = { ...process.env, ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  const child = spawn(command, args, { cwd, env: merged, stdio: [stdin === undefined ? 'ignore' : 'pipe', out, out] });
  closeSync(out);
  if (stdin !== undefined) child.stdin.end(stdin);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const match = ready.exec(readFileSync(logFile, 'utf8'));
      if (!match) return;
      done();
      resolve({ child, match, logFile });
    }, 50);
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms; log: ${logFile}\n${tail(logFile)}`));
    }, START_TIMEOUT_MS);
    const onExit = (code, signal) => {
      done();
      reject(new Error(`${name} exited with ${code ?? signal} before it was ready; log: ${logFile}\n${tail(logFile)}`));
    };
    const done = () => {
      clearInterval(poll);
      clearTimeout(timer);
      child.removeListener('exit', onExit);
    };
    child.once('exit', onExit);
  });
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * One HTTP exchange over node:http (lighter than fetch: the load generator shares the cores with the
 * server); resolves with status, headers and body text, never rejects on an HTTP status.
 */
export function exchange(url, { method = 'GET', headers = {}, body, agent, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = request(url, { method, agent, headers: { ...headers, ...(payload ? { 'content-length': payload.length } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.end(payload);
  });
}
