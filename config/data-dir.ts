// Names DATA_DIR when the directory cannot be created or written, so the boot fails with one clear line instead
// of a stack trace from whichever write (dev secrets, SQLite, outbox) happened to touch it first.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates `dataDir` if missing (owner-only, as the store wants it) and proves a file can be created in it;
 * returns what is wrong, or undefined. Root ignores permission bits, so this catches what root cannot write
 * either: a path through a file, a read-only mount, a full disk (no room for a directory entry).
 */
export function dataDirProblem(dataDir: string): string | undefined {
  const probe = join(dataDir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(probe, '', { flag: 'wx', mode: 0o600 });
    rmSync(probe, { force: true });
    return undefined;
  } catch (error) {
    return `DATA_DIR ${dataDir} is not writable: ${(error as Error).message}`;
  }
}
