// A bulk import killed with SIGKILL mid-file (after a known batch, through the IMPORT_TEST_PAUSE_AFTER_BATCH seam)
// resumes from its last committed batch, and both the resumed run and a full replay end in the same store as an
// uninterrupted run: same members, points, ledgers, profiles, kept data, and the same totals in the summary.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { importedMembers, importEnv, importKilledAfter, runImport, type ImportEnv } from '../support/import-run.ts';
import { STORES } from '../support/test-server.ts';

const ROWS = 35;
const BATCH = 10;

describe.each(STORES)('import resumes after kill -9 (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const tag = `${store}.${process.pid}`;
  const hash = bcrypt.hashSync('old password', 4);
  const emails = Array.from({ length: ROWS }, (_, i) => `m${i}.${tag}@example.com`);
  const lines = emails.map((email, i) => {
    // Every seventh row is bad (an unknown hash): rejections before and after the kill are counted once each.
    if (i % 7 === 3) return JSON.stringify({ email, email_verified: true, password_hash: 'not-a-hash' });
    return JSON.stringify({
      email, email_verified: i % 2 === 0, password_hash: hash, given_name: `Name ${i}`,
      points_balance: i * 10, lifetime_points: i * 15, tier: 'silver', consents: { marketing_email: '2024-03-01' },
    });
  });
  const envs: ImportEnv[] = [importEnv(store, 'resume'), importEnv(store, 'replay'), importEnv(store, 'clean')];
  const [resumeEnv, replayEnv, cleanEnv] = envs as [ImportEnv, ImportEnv, ImportEnv];
  const file = join(cleanEnv.dataDir, 'members.ndjson');
  const args = ['--batch-size', String(BATCH), file];
  writeFileSync(file, `${lines.join('\n')}\n`);

  afterAll(async () => {
    for (const { env, dataDir } of envs) {
      if (store === 'mongo') await dropMongoDatabase(env.MONGODB_URI!);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** What a member is after the import, without the store's own ids. */
  const snapshot = (where: ImportEnv) => importedMembers(where, emails, async (storage, account) => ({
    passwordHash: account.passwordHash,
    entries: (await storage.loyalty.listEntries(account.id, { limit: 10 })).map((entry) => [entry.kind, entry.points, entry.idempotencyKey.replace(account.id, '<account>')]),
  }));

  let clean: Awaited<ReturnType<typeof snapshot>>;
  let cleanSummary: string;

  beforeAll(async () => {
    const run = await runImport(args, cleanEnv.env);
    expect(run.code).toBe(0);
    cleanSummary = run.stdout.trim();
    clean = await snapshot(cleanEnv);
  }, 240_000);

  test('an uninterrupted run imports the good rows and rejects the bad ones', () => {
    expect(cleanSummary).toBe('imported 30, updated 0, rejected 5');
    expect(clean.filter((member) => 'absent' in member)).toHaveLength(5);
  });

  test('killed after batch 2, the store holds exactly those batches; the next run resumes there and ends as a clean run', async () => {
    const killed = await importKilledAfter(args, resumeEnv.env, 2);
    // Lines 4, 11 and 18 were the bad rows of the first two batches.
    expect(killed).toContain('line 4: password_hash: unknown password hash format');
    expect(killed).not.toContain('line 25:');
    const partial = await snapshot(resumeEnv);
    expect(partial.slice(0, 2 * BATCH)).toEqual(clean.slice(0, 2 * BATCH));
    expect(partial.slice(2 * BATCH).every((member) => 'absent' in member)).toBe(true);

    const resumed = await runImport(args, resumeEnv.env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming after line 20');
    expect(resumed.stderr).not.toContain('line 4:');
    expect(resumed.stderr).toContain('line 25: password_hash: unknown password hash format');
    expect(resumed.stdout.trim()).toBe(cleanSummary);
    expect(await snapshot(resumeEnv)).toEqual(clean);
  }, 240_000);

  test('replaying the whole file after the kill (--restart) is harmless: the same end state', async () => {
    await importKilledAfter(args, replayEnv.env, 2);
    const replayed = await runImport(['--restart', ...args], replayEnv.env);
    expect(replayed.code).toBe(0);
    // The 17 good rows of the first two batches are already there, unchanged; the other 13 are new.
    expect(replayed.stdout.trim()).toBe('imported 13, updated 0, rejected 5');
    expect(await snapshot(replayEnv)).toEqual(clean);
  }, 240_000);

  test('a finished run leaves no checkpoint: running the file again replays it and changes nothing', async () => {
    const again = await runImport(args, cleanEnv.env);
    expect(again.stderr).not.toContain('resuming');
    expect(again.stdout.trim()).toBe('imported 0, updated 0, rejected 5');
    expect(await snapshot(cleanEnv)).toEqual(clean);
  }, 240_000);
});
