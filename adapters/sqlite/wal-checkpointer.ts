// WAL checkpoints off the event loop. node:sqlite is synchronous, so a checkpoint run by a committing connection
// (copying the WAL into the database file, then fsyncs) stopped every request for 50-100 ms every few seconds
// under token load. A worker thread with its own connection checkpoints every quarter second instead, so the WAL
// stays short and the server's connections rarely reach their autocheckpoint size (kept as the backstop).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export const CHECKPOINT_INTERVAL_MS = 250;

export interface WalCheckpointer {
  close(): Promise<void>;
}

export function startWalCheckpointer(file: string, intervalMs = CHECKPOINT_INTERVAL_MS): WalCheckpointer {
  // The worker's file has this module's extension: .ts from the source, .js from dist/.
  const script = new URL(`./wal-checkpoint-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  const worker = new Worker(script, { workerData: { file, intervalMs } });
  // It must not keep a process alive that is otherwise done (a CLI import, a test).
  worker.unref();
  // A failed worker (the file removed, say) leaves the autocheckpoint doing the work, as before.
  worker.on('error', () => undefined);
  let closed: Promise<void> | undefined;
  return {
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (worker.threadId === -1) return resolve();
        worker.once('exit', () => resolve());
        // Held again while it stops: a caller awaiting close() must not see the process run out of work first.
        worker.ref();
        worker.postMessage('stop');
      });
      return closed;
    },
  };
}
