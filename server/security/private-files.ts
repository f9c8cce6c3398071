// DATA_DIR and the files in it (SQLite database, WAL, dev secrets, outboxes) readable by this user only.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * They hold client secrets (sealed), session and token ids, one-time code hashes and, in development, the
 * key-encryption key and the outboxes' codes. `mode` at creation is filtered by the umask, so the modes
 * are set again with chmod, which is not.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the directory 0700, and tightens an existing one that is ours (a directory owned by someone else,
 * a volume's mount point say, is left as its owner set it).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stat = statSync(dir);
  if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE && stat.uid === process.getuid?.()) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates the file empty if missing, and sets it 0600 either way (before anything is written to it). */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  restrictFile(file);
}

/** Sets an existing file 0600; a missing one is fine (SQLite's -shm, say, before first use). */
export function restrictFile(file: string): void {
  try {
    const stat = statSync(file);
    if ((stat.mode & 0o777) !== PRIVATE_FILE_MODE && stat.uid === process.getuid?.()) chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
