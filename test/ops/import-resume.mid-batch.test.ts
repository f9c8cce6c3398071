// A Mongo import killed with SIGKILL in the middle of a bulk batch (every document of its new members written but the
// accounts, through the IMPORT_TEST_PAUSE_IN_BULK_BATCH seam): no member of that batch can be found or signed in
// with, no event of theirs is written, and the resumed run (or a replay of the whole file) ends in the store an
// uninterrupted run leaves, with nothing of the half-written batch left over.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import mongoose from 'mongoose';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { importedMembers, importEnv, importKilledAt, runImport, type ImportEnv } from '../support/import-run.ts';

const ROWS = 30;
const BATCH = 10;

describe('import killed in the middle of a bulk batch converges when resumed (mongo)', () => {
  allowFerretDbTime();
  const tag = `midbatch.${process.pid}`;
  const hash = bcrypt.hashSync('old password', 4);
  const emails = Array.from({ length: ROWS }, (_, i) => `m${i}.${tag}@example.com`);
  const lines = emails.map((email, i) => JSON.stringify({
    email, email_verified: i % 2 === 0, password_hash: hash, given_name: `Name ${i}`, points_balance: i * 10, lifetime_points: i * 15,
    tier: 'silver', consents: { marketing_email: '2024-03-01' },
    ...(i % 3 === 0 ? { phone_number: `+4479111240${String(i).padStart(2, '0')}` } : {}),
  }));
  const envs: ImportEnv[] = [importEnv('mongo', 'midresume'), importEnv('mongo', 'midreplay'), importEnv('mongo', 'midclean')];
  const [resumeEnv, replayEnv, cleanEnv] = envs as [ImportEnv, ImportEnv, ImportEnv];
  const file = join(cleanEnv.dataDir, 'members.ndjson');
  const args = ['--batch-size', String(BATCH), file];
  writeFileSync(file, `${lines.join('\n')}\n`);
  const seam = { IMPORT_TEST_PAUSE_IN_BULK_BATCH: '3' };
  const marker = 'paused before the accounts of bulk batch 3';

  afterAll(async () => {
    for (const { env, dataDir } of envs) {
      await dropMongoDatabase(env.MONGODB_URI!);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** What each member is after the import, without the store's own ids. */
  const snapshot = (where: ImportEnv) => importedMembers(where, emails, async (storage, account) => ({
    phone: account.phone,
    events: (await storage.events.listByTime({ from: new Date(0), to: new Date(Date.now() + 60_000), limit: 1000 }))
      .filter((event) => event.memberId === account.id).map((event) => event.type).sort(),
  }));

  /** Documents per collection, and events not yet ready: what a half-written batch would leave behind. */
  async function counts({ env }: ImportEnv) {
    const connection = await mongoose.createConnection(env.MONGODB_URI!).asPromise();
    try {
      const db = connection.db!;
      const count = (name: string, filter = {}) => db.collection(name).countDocuments(filter);
      return {
        accounts: await count('accounts'),
        identifiers: await count('identifiers'),
        members: await count('loyalty_members'),
        profileFields: await count('profile_fields'),
        entries: await count('ledger_entries'),
        keys: await count('ledger_keys'),
        data: await count('member_import_data'),
        events: await count('events'),
        pendingBatches: await count('import_pending_batches'),
      };
    } finally {
      await connection.close();
    }
  }

  let clean: Awaited<ReturnType<typeof snapshot>>;
  let cleanCounts: Awaited<ReturnType<typeof counts>>;

  beforeAll(async () => {
    const run = await runImport(args, cleanEnv.env);
    expect(run.stdout.trim()).toBe(`imported ${ROWS}, updated 0, rejected 0`);
    clean = await snapshot(cleanEnv);
    cleanCounts = await counts(cleanEnv);
  }, 240_000);

  test('killed before the accounts of batch 3: its members are nowhere to be seen; the resumed run ends as a clean run', async () => {
    await importKilledAt(args, resumeEnv.env, seam, marker);
    const partial = await snapshot(resumeEnv);
    expect(partial.slice(0, 2 * BATCH)).toEqual(clean.slice(0, 2 * BATCH));
    // No account, so no sign-in and no look-up by email; and no event (they are written after the accounts).
    expect(partial.slice(2 * BATCH).every((member) => 'absent' in member)).toBe(true);
    const left = await counts(resumeEnv);
    expect(left.accounts).toBe(2 * BATCH);
    expect(left.members).toBe(ROWS);
    expect(left.events).toBe(clean.slice(0, 2 * BATCH).reduce((sum, member) => sum + ('events' in member ? member.events.length : 0), 0));
    expect(left.pendingBatches).toBe(1);

    const resumed = await runImport(args, resumeEnv.env);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming after line 20');
    expect(resumed.stdout.trim()).toBe(`imported ${ROWS}, updated 0, rejected 0`);
    expect(await snapshot(resumeEnv)).toEqual(clean);
    expect(await counts(resumeEnv)).toEqual(cleanCounts);
  }, 240_000);

  test('killed after the accounts of batch 3 but before their events: the resumed run writes those events once', async () => {
    const eventsEnv = importEnv('mongo', 'midevents');
    envs.push(eventsEnv);
    await importKilledAt(args, eventsEnv.env, { IMPORT_TEST_PAUSE_IN_BULK_BATCH: '3:events' }, 'paused before the events of bulk batch 3');
    const left = await counts(eventsEnv);
    expect(left.accounts).toBe(ROWS);
    expect(left.events).toBeLessThan(cleanCounts.events);
    const resumed = await runImport(args, eventsEnv.env);
    expect(resumed.code).toBe(0);
    // The killed run wrote batch 3's members without committing its checkpoint: the resumed run finds them there.
    expect(resumed.stdout.trim()).toBe(`imported ${2 * BATCH}, updated 0, rejected 0`);
    expect(await snapshot(eventsEnv)).toEqual(clean);
    expect(await counts(eventsEnv)).toEqual(cleanCounts);
  }, 240_000);

  test('replaying the whole file after the kill (--restart) ends in the same store', async () => {
    await importKilledAt(args, replayEnv.env, seam, marker);
    const replayed = await runImport(['--restart', ...args], replayEnv.env);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout.trim()).toBe(`imported ${BATCH}, updated 0, rejected 0`);
    expect(await snapshot(replayEnv)).toEqual(clean);
    expect(await counts(replayEnv)).toEqual(cleanCounts);
  }, 240_000);
});
