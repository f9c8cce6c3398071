// Serves the event loop first on busy cores: the threads that only grind (libuv's pool hashing passwords, the bcrypt
// workers) get a lower scheduling priority, so a request does not wait in the CPU's run queue behind a hash.
import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** The name libuv gives its pool's threads (checked with Node 24's libuv 1.52; another name: nothing is lowered). */
const POOL_THREAD_NAME = 'libuv-worker';

/**
 * Lowers every libuv pool thread to `nice` (Linux; elsewhere, or with 0, nothing is done) and answers how many it
 * lowered. Why: argon2 verifies run on this pool; with 8 sign-ins in flight its 4 threads want the CPU for ~20 ms
 * each, and on a 2-core host the main thread queued behind them on every turn it had work. Same-window A/B of
 * bench/sign-in-throughput.mjs on the 2-core VM (load average 2-4, three pairs): discovery and JWKS p99 while
 * sign-ins run 30-36 -> 14-19 ms (p50 6-7.5 -> 1.0-1.1 ms), the event loop's delay p99 12.7-14.7 -> 5.8-6.1 ms, the
 * sign-in ratio unchanged. At nice 10 the kernel lets the event loop in first; the pool still gets every cycle the
 * loop leaves, so hashing throughput is unchanged when the host has nothing else to run. libuv starts its pool once,
 * so this runs once, at boot.
 */
export async function lowerThreadPoolPriority(nice: number): Promise<number> {
  if (nice === 0 || process.platform !== 'linux') return 0;
  // libuv starts all of its pool's threads with the first job queued on it: this one makes sure they exist.
  await stat(import.meta.dirname);
  let lowered = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== POOL_THREAD_NAME) continue;
      // On Linux the "pid" of setpriority(2) may name a single thread. Only ever lowered: a process started at a
      // lower priority than `nice` keeps it (raising it back needs a privilege the server should not have).
      if (getPriority(Number(tid)) >= nice) continue;
      setPriority(Number(tid), nice);
      lowered += 1;
    } catch {
      // A thread gone between the listing and the call, or a sandbox without setpriority: left as it is.
    }
  }
  return lowered;
}

/**
 * For a worker thread started from source (`eval: true`): a function that lowers the calling thread to `nice`
 * (Linux only, never throws); the worker calls it with the value passed in its workerData (workerThreadNice()).
 */
export const LOWER_CURRENT_THREAD_SOURCE = `function lowerCurrentThreadPriority(nice) {
  if (!nice || process.platform !== 'linux') return;
  try {
    const os = require('node:os');
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch {}
}`;

let workerNice = 0;

/** The nice value a CPU-bound worker thread started now takes (THREAD_POOL_NICE once the server booted, else 0). */
export function workerThreadNice(): number {
  return workerNice;
}

/**
 * At boot: libuv's pool threads go to `nice` now (lowerThreadPoolPriority) and CPU-bound worker threads (the bcrypt
 * pool's) take it when they start. Answers how many pool threads were lowered.
 */
export async function lowerBackgroundThreads(nice: number): Promise<number> {
  workerNice = process.platform === 'linux' ? nice : 0;
  return lowerThreadPoolPriority(nice);
}
