// Two importers (two processes on one MongoDB: here two connections) write the same new members in bulk at the same
// moment: each member is written once, by whichever importer's claim went in first; the other importer's row
// becomes an update (`existing`: the row-by-row way), never an error, and leaves no document of its own behind.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import mongoose from 'mongoose';
import { openStorage } from '../../adapters/index.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import type { NewImportMember } from '../../server/domain/accounts/member-import-store.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { importEnv } from '../support/import-run.ts';

const MEMBERS = 20;

describe('two importers writing the same new members at once (mongo)', () => {
  allowFerretDbTime();
  const { env, dataDir } = importEnv('mongo', 'bulkrace');
  const tag = `race.${process.pid}`;
  let stores: Storage[] = [];

  afterAll(async () => {
    for (const store of stores) await store.close();
    await dropMongoDatabase(env.MONGODB_URI!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The importer's view of the file: the same rows, with the account ids each importer draws for itself. */
  const batch = (): NewImportMember[] => Array.from({ length: MEMBERS }, (_, i) => {
    const accountId = randomUUID();
    return {
      accountId,
      email: `m${i}.${tag}@example.com`,
      emailVerified: true,
      passwordHash: '$2b$04$abcdefghijklmnopqrstuu8Qnd1bJ3ZmyOcsjkwz3R3FqBZ3qAJfe',
      phone: `+4479111250${String(i).padStart(2, '0')}`,
      memberNumber: undefined,
      enrolmentChannel: 'web',
      profile: { given_name: `Name ${i}` },
      entries: [{ points: 100, reason: 'balance imported from the previous program', idempotencyKey: `import:${accountId}`, requestHash: `hash-${accountId}` }],
      data: null,
    };
  });

  test('each member is written once; the losing rows are sent the row-by-row way and leave nothing', async () => {
    stores = [await openStorage({ dataDir, mongodbUri: env.MONGODB_URI }), await openStorage({ dataDir, mongodbUri: env.MONGODB_URI })];
    const batches = [batch(), batch()];
    const results = await Promise.all(stores.map((store, n) => store.memberImports.insertNewMembers(batches[n]!, generateMemberNumber, `file:race-${n}`)));
    for (let i = 0; i < MEMBERS; i += 1) {
      expect([results[0]![i], results[1]![i]].sort()).toEqual(['existing', 'imported']);
    }

    const [store] = stores as [Storage];
    expect(await store.accounts.count()).toBe(MEMBERS);
    for (let i = 0; i < MEMBERS; i += 1) {
      const winner = batches[results[0]![i] === 'imported' ? 0 : 1]![i]!;
      const account = (await store.accounts.findByEmail(winner.email))!;
      expect(account.id).toBe(winner.accountId);
      expect((await store.accounts.findByPhone(winner.phone!))?.id).toBe(winner.accountId);
      expect((await store.loyalty.findMember(winner.accountId))?.balance).toBe(100);
    }
    // The losers' account ids hold nothing: no claim, member, profile field, ledger entry or key, event.
    const losers = batches.flatMap((rows, n) => rows.filter((_, i) => results[n]![i] === 'existing').map((row) => row.accountId));
    const connection = await mongoose.createConnection(env.MONGODB_URI!).asPromise();
    try {
      const db = connection.db!;
      const left = async (name: string, field: string) => db.collection<{ _id: string }>(name).countDocuments({ [field]: { $in: losers } });
      expect({
        identifiers: await left('identifiers', 'accountId'),
        members: await left('loyalty_members', '_id'),
        fields: await left('profile_fields', 'accountId'),
        entries: await left('ledger_entries', 'accountId'),
        keys: await left('ledger_keys', 'accountId'),
        events: await left('events', 'memberId'),
        pending: await db.collection('import_pending_batches').countDocuments({}),
      }).toEqual({ identifiers: 0, members: 0, fields: 0, entries: 0, keys: 0, events: 0, pending: 0 });
    } finally {
      await connection.close();
    }
  }, 120_000);
});
