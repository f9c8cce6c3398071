// The worker thread of wal-checkpointer.ts: its own connection to the file, a PASSIVE checkpoint every interval
// (copies what no reader still needs, never waits for nor blocks the server's connections), until told to stop.
// Kept free of project imports: it runs in a thread of its own, from the source (tests) or dist/ alike.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new DatabaseSync(file);
// A sibling process's checkpoint holds the checkpoint lock: skip this turn rather than wait.
db.exec('PRAGMA busy_timeout = 0');
// The checkpoint syncs the WAL before copying and the file after, as the server's FULL connection would.
db.exec('PRAGMA synchronous = FULL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const timer = setInterval(() => {
  try {
    checkpoint.get();
  } catch {
    // Busy or locked: the next turn tries again, and the server's own autocheckpoint remains the backstop.
  }
}, intervalMs);

parentPort!.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
