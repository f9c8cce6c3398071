// Runs `npm run import` as an operator would (a child process on the real store) for the import tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../../adapters/index.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { mongoTestUri } from './mongo-uri.ts';
import type { StoreKind } from './test-server.ts';

export interface ImportRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ImportEnv {
  dataDir: string;
  mongoDb: string;
  env: Record<string, string>;
}

/** A fresh store for one describe block: a temp DATA_DIR, or a fresh FerretDB database. */
export function importEnv(store: StoreKind, prefix: string): ImportEnv {
  const dataDir = mkdtempSync(join(tmpdir(), `idp-${prefix}-`));
  const mongoDb = `idp_${prefix.replace(/[^a-z]/g, '')}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return {
    dataDir,
    mongoDb,
    env: {
      DATA_DIR: dataDir,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
      ...(store === 'mongo' ? { MONGODB_URI: mongoTestUri(mongoDb) } : {}),
    },
  };
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  // The jest setup puts FerretDB's MONGODB_URI in this process's environment: the SQLite runs must not inherit it.
  const { MONGODB_URI: _inherited, ...inherited } = process.env;
  return { ...inherited, ...env };
}

export function runImport(args: string[], env: Record<string, string>): Promise<ImportRun> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '-s', 'import', '--', ...args], { env: childEnv(env), timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Starts an import that pauses after committing batch `batches` (the IMPORT_TEST_PAUSE_AFTER_BATCH seam), waits
 * for it to say so, then kills it with SIGKILL: a crash at a known point, with no timers involved.
 */
export async function importKilledAfter(args: string[], env: Record<string, string>, batches: number): Promise<string> {
  // The import script itself (not npm): SIGKILL must reach the process that holds the store.
  const child: ChildProcess = spawn('node_modules/.bin/node', ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', 'scripts/import-members.ts', ...args], {
    env: childEnv({ ...env, IMPORT_TEST_PAUSE_AFTER_BATCH: String(batches) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`paused after batch ${batches}`)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`import exited (${code}) before pausing:\n${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return stderr;
}

/**
 * Starts an import with a test seam set (`seam`: env variable and value), waits for the line `marker` on stderr (the
 * run has stopped there for good), then kills it with SIGKILL: a crash at a known point inside a batch.
 */
export async function importKilledAt(args: string[], env: Record<string, string>, seam: Record<string, string>, marker: string): Promise<string> {
  const child: ChildProcess = spawn('node_modules/.bin/node', ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', 'scripts/import-members.ts', ...args], {
    env: childEnv({ ...env, ...seam }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(marker)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`import exited (${code}) before "${marker}":\n${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return stderr;
}

/**
 * What each named member is after an import, without the store's own ids: the fields every resume test compares,
 * plus what `more` adds for one test. An email the store does not know is `{ email, absent: true }`.
 */
export async function importedMembers<T extends object>(
  { env, dataDir }: ImportEnv,
  emails: readonly string[],
  more: (storage: Storage, account: Account) => Promise<T>,
) {
  const storage = await openStorage({ dataDir, mongodbUri: env.MONGODB_URI });
  try {
    const members = [];
    for (const email of emails) {
      const account = await storage.accounts.findByEmail(email);
      if (!account) {
        members.push({ email, absent: true });
        continue;
      }
      const member = await storage.loyalty.findMember(account.id);
      members.push({
        email,
        emailVerified: account.emailVerified,
        balance: member?.balance,
        lifetime: member?.lifetimePoints,
        ledgerSum: await storage.loyalty.sumEntries(account.id),
        givenName: (await storage.profiles.find(account.id)).fields.given_name?.value,
        data: await storage.memberImports.findMemberData(account.id),
        ...(await more(storage, account)),
      });
    }
    return members;
  } finally {
    await storage.close();
  }
}
