// bcrypt compares off the event loop. bcryptjs is pure JavaScript, and one cost-10 compare holds its thread for
// 60-100 ms (its async API only slices the work on the same thread), so on the main thread every first sign-in of
// an imported bcrypt member stalled every other request for that long. A small pool of worker threads, started by
// the first bcrypt compare and stopped after a minute without one, keeps the loop free and costs nothing at idle.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LOWER_CURRENT_THREAD_SOURCE, workerThreadNice } from '../../thread-priority.ts';

/** Workers stop after this long without a compare (a migrated program soon has no bcrypt members left). */
const IDLE_MS = 60_000;
/** Two at most: argon2 shares the same cores through libuv's pool. */
const SIZE = Math.max(1, Math.min(2, availableParallelism() - 1));

// Plain CommonJS evaluated in the worker (no file to locate, the same in the build and under the tests).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
${LOWER_CURRENT_THREAD_SOURCE}
// A compare holds this thread for 60-100 ms: behind the event loop on the cores (server/thread-priority.ts).
lowerCurrentThreadPriority(workerData.nice);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

interface Job {
  resolve(ok: boolean): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  jobs: Map<number, Job>;
}

export class BcryptPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The nice value each worker takes when it starts (THREAD_POOL_NICE once the server booted). */
  private readonly nice: () => number;

  constructor(options: { nice?: () => number } = {}) {
    this.nice = options.nice ?? workerThreadNice;
  }

  /** True when `password` matches the bcrypt `hash` ($2a$/$2b$); a malformed hash is false, as in bcryptjs. */
  compare(password: string, hash: string): Promise<boolean> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const target = this.leastBusy();
    const id = (this.nextId += 1);
    return new Promise<boolean>((resolve, reject) => {
      target.jobs.set(id, { resolve, reject });
      target.worker.ref();
      target.worker.postMessage({ id, password, hash });
    });
  }

  /** Stops every worker now; compares in flight fail. */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await Promise.all(this.workers.splice(0).map((entry) => entry.worker.terminate()));
  }

  private leastBusy(): PoolWorker {
    const idle = this.workers.find((entry) => entry.jobs.size === 0);
    if (idle) return idle;
    if (this.workers.length < SIZE) return this.start();
    return this.workers.reduce((best, entry) => (entry.jobs.size < best.jobs.size ? entry : best));
  }

  private start(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: createRequire(import.meta.url).resolve('bcryptjs'), nice: this.nice() } });
    // Only a worker with compares in flight keeps the process alive.
    const entry: PoolWorker = { worker, jobs: new Map() };
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const job = entry.jobs.get(id);
      entry.jobs.delete(id);
      job?.resolve(ok === true);
      if (entry.jobs.size === 0) worker.unref();
      this.maybeIdle();
    });
    const fail = (error: Error) => {
      // A dead worker fails its compares (an error, never a "wrong password") and is replaced on the next one.
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
      for (const job of entry.jobs.values()) job.reject(error);
      entry.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`bcrypt worker exited with code ${code}`)));
    this.workers.push(entry);
    return entry;
  }

  private maybeIdle(): void {
    if (this.workers.some((entry) => entry.jobs.size > 0) || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      void this.close();
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}

/** The process's pool: bcrypt compares from every sign-in share it. */
export const bcryptPool = new BcryptPool();
