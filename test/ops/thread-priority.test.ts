// Requests are not queued on the CPU behind password hashing: at boot the server lowers the priority of libuv's pool
// threads (argon2, PBKDF2, scrypt, WebCrypto) and its bcrypt workers take the same (Linux: nice values in /proc).
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { BcryptPool } from '../../server/passwords/legacy/bcrypt-pool.ts';
import { bootServerProcess, stopServerProcess, type ServerProcess } from '../support/server-process.ts';

/** Name and nice value of every thread of process `pid` (field 19 of /proc/PID/task/TID/stat). */
function threads(pid: number | 'self'): Array<{ name: string; nice: number }> {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      // The fields after the command name (which may hold spaces) start at the state, field 3.
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return [{ name, nice: Number(fields[16]) }];
    } catch {
      return [];
    }
  });
}

const linux = process.platform === 'linux' ? describe : describe.skip;
/** This process's nice value (0 unless the tests run under `nice`): the server's threads start there. */
const base = getPriority();

linux('password hashing runs behind the event loop', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-thread-priority-'));
  });
  afterEach(async () => {
    await stopServerProcess(server);
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the server lowers its thread pool to nice 10 at boot and leaves the event loop and V8 at its own priority', async () => {
    server = await boot({});
    const all = threads(server.child.pid!);
    const pool = all.filter((t) => t.name === 'libuv-worker');
    expect(pool.length).toBeGreaterThanOrEqual(4);
    expect(pool.every((t) => t.nice === Math.max(10, base))).toBe(true);
    expect(all.filter((t) => t.name !== 'libuv-worker').every((t) => t.nice === base)).toBe(true);
    if (base < 10) expect(server.output()).toMatch(/"threads":\d+,"nice":10,"msg":"thread pool priority lowered"/);
    // Still a working server: the discovery document answers.
    expect((await fetch(`${server.url}/.well-known/openid-configuration`)).status).toBe(200);
  });

  test('THREAD_POOL_NICE=0 leaves every thread at the process priority', async () => {
    server = await boot({ THREAD_POOL_NICE: '0' });
    expect(threads(server.child.pid!).every((t) => t.nice === base)).toBe(true);
    expect(server.output()).not.toContain('thread pool priority lowered');
  });

  test('a bcrypt worker takes the nice value it is given, and still compares', async () => {
    const pool = new BcryptPool({ nice: () => 7 });
    try {
      const hash = bcrypt.hashSync('legacy password', 4);
      expect(await pool.compare('legacy password', hash)).toBe(true);
      expect(await pool.compare('wrong password', hash)).toBe(false);
      const workers = threads('self').filter((t) => t.name === 'WorkerThread');
      expect(workers.some((t) => t.nice === Math.max(7, base))).toBe(true);
      // This process's own threads are untouched.
      expect(threads('self').filter((t) => t.name !== 'WorkerThread').every((t) => t.nice === base)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  function boot(env: Record<string, string>): Promise<ServerProcess> {
    return bootServerProcess({ DATA_DIR: dataDir, ...env });
  }
});
