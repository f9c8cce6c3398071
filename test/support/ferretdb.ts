// Starts the FerretDB v1.24 test binary (MongoDB wire protocol over SQLite) on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_DIR = join(ROOT, 'test', 'support', 'ferretdb');
export const FERRETDB_BINARY = join(ROOT, '.cache', 'ferretdb-test');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RunningFerretDb {
  /** mongodb://127.0.0.1:PORT/ (no database: callers pick their own). */
  uri: string;
  stop(): Promise<void>;
}

export async function startFerretDb(): Promise<RunningFerretDb> {
  await ensureBinary();
  const dir = await mkdtemp(join(tmpdir(), 'ferretdb-'));
  try {
    // The port is found free, then handed over; another process may grab it in between, so retry.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        return await launch(await freePort(), dir);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function ensureBinary(): Promise<void> {
  if (existsSync(FERRETDB_BINARY)) return;
  await mkdir(join(ROOT, '.cache'), { recursive: true });
  process.stderr.write(`FerretDB test binary missing; building ${FERRETDB_BINARY} with go build (a few minutes the first time)...\n`);
  const go = spawn('go', ['build', '-o', FERRETDB_BINARY, '.'], { cwd: SOURCE_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve, reject) => {
    go.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(`FerretDB test binary ${FERRETDB_BINARY} is missing and \`go\` is not on PATH: install Go (>= 1.22) to build it, or set MONGODB_URI to a real MongoDB`)
          : error,
      );
    });
    go.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`go build of ${SOURCE_DIR} failed with exit code ${code}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function launch(port: number, dir: string): Promise<RunningFerretDb> {
  const child = spawn(FERRETDB_BINARY, ['-listen', `127.0.0.1:${port}`, '-dir', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Kept for the error message; stderr must be drained anyway or a chatty child blocks on a full pipe.
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const uri = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`FerretDB did not report ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr}`.trim()));
    }
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`FerretDB exited before ready (code ${code}, signal ${signal})`)));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const ready = /^ready (mongodb:\/\/\S+)$/m.exec(stdout);
      if (!ready?.[1]) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(ready[1]);
    });
  });
  return { uri, stop: () => stop(child, dir) };
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}
