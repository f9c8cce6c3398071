// The bulk path of an import leaves the store as the row-by-row path would: on Mongo the very same documents in every
// collection (ids, emails, numbers and times aside), and on both stores one member for an email a batch spells in
// several Unicode and case forms (the first form imports, the others change nothing), also when the file runs again.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import mongoose from 'mongoose';
import { openStorage } from '../../adapters/index.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { importEnv, runImport } from '../support/import-run.ts';
import { STORES } from '../support/test-server.ts';

const hash = bcrypt.hashSync('old password', 4);
const member = (email: string, phone: string) => ({
  email, email_verified: true, password_hash: hash, phone_number: phone, given_name: 'Ada', family_name: 'Byron', locale: 'fr',
  points_balance: 120, lifetime_points: 500, tier: 'gold', enrolment_channel: 'kiosk', consents: { marketing_email: '2024-03-01' },
});

async function withStorage<T>(dataDir: string, uri: string | undefined, work: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage({ dataDir, mongodbUri: uri });
  try {
    return await work(storage);
  } finally {
    await storage.close();
  }
}

describe('a member imported in bulk has the documents of one imported row by row (mongo)', () => {
  allowFerretDbTime();
  const { env, dataDir } = importEnv('mongo', 'bulkdocs');
  const tag = `docs.${process.pid}`;
  const bulk = { email: `bulk.${tag}@example.com`, phone: '+447911123501' };
  const byRow = { email: `row.${tag}@example.com`, phone: '+447911123502' };
  const file = join(dataDir, 'members.ndjson');
  // The row-by-row member is named twice in the batch (in two spellings), which sends both its rows that way.
  writeFileSync(file, `${[member(bulk.email, bulk.phone), member(byRow.email.toUpperCase(), byRow.phone), member(byRow.email, byRow.phone)]
    .map((line) => JSON.stringify(line)).join('\n')}\n`);
  const COLLECTIONS = ['identifiers', 'accounts', 'loyalty_members', 'profile_fields', 'ledger_entries', 'ledger_keys', 'member_import_data', 'events'] as const;

  afterAll(async () => {
    await dropMongoDatabase(env.MONGODB_URI!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every document of the member, by collection, with what differs between two members replaced by placeholders. */
  async function documents(db: mongoose.mongo.Db, who: { email: string; phone: string }, accountId: string, memberNumber: string) {
    const byAccount = { $or: [{ _id: accountId }, { accountId }, { memberId: accountId }, { _id: { $regex: `^${accountId}` } }] };
    const out: Record<string, unknown[]> = {};
    for (const name of COLLECTIONS) {
      const filter = name === 'ledger_keys' ? { accountId } : byAccount;
      const docs = await db.collection<{ _id: string; [field: string]: unknown }>(name).find(filter).toArray();
      out[name] = docs
        .filter((doc) => !(name === 'events' && doc.type === 'member.profile_updated'))
        .map((doc) => {
          const text = JSON.stringify(doc, (key, value: unknown) => {
            // Times differ; an event's id is a UUIDv7 of its time; `proof` names the step that made a pending event
            // ready (the bulk path's is the account, written last).
            if (key !== '' && (value instanceof Date || (typeof value === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(value)))) return '<time>';
            if (name === 'events' && (key === '_id' || key === 'proof')) return `<${key}>`;
            // A ledger request's hash covers its account id.
            if (key === 'requestHash') return '<hash>';
            return value;
          });
          return JSON.parse(text.replaceAll(accountId, '<account>').replaceAll(who.email, '<email>').replaceAll(who.phone, '<phone>').replaceAll(memberNumber, '<number>')) as unknown;
        })
        .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    return out;
  }

  test('same documents in every collection the import writes, and a re-run changes none of them', async () => {
    const first = await runImport([file], env);
    expect(first.stdout.trim()).toBe('imported 2, updated 0, rejected 0');
    const connection = await mongoose.createConnection(env.MONGODB_URI!).asPromise();
    try {
      const db = connection.db!;
      const snapshot = async () => withStorage(dataDir, env.MONGODB_URI, async (storage) => {
        const seen = [];
        for (const who of [bulk, byRow]) {
          const account = (await storage.accounts.findByEmail(who.email))!;
          const { memberNumber } = (await storage.loyalty.findMember(account.id))!;
          seen.push(await documents(db, who, account.id, memberNumber));
        }
        return seen;
      });
      const [inBulk, oneByOne] = await snapshot();
      expect(inBulk).toEqual(oneByOne);
      expect(inBulk!.ledger_entries).toHaveLength(2);
      expect(inBulk!.identifiers).toHaveLength(3);
      expect((inBulk!.events as Array<{ type: string; state: string }>).map((event) => [event.type, event.state]).sort()).toEqual([
        ['member.created', 'ready'], ['member.phone_verified', 'ready'], ['points.adjusted', 'ready'], ['points.adjusted', 'ready'],
      ]);
      // Nothing of the batch is left pending.
      expect(await db.collection('import_pending_batches').countDocuments({})).toBe(0);

      const again = await runImport([file], env);
      expect(again.stdout.trim()).toBe('imported 0, updated 0, rejected 0');
      expect(await snapshot()).toEqual([inBulk, oneByOne]);
    } finally {
      await connection.close();
    }
  }, 240_000);
});

describe.each(STORES)('one email in several Unicode and case forms in one import batch (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const { env, dataDir } = importEnv(store, 'unicode');
  const tag = `${store}.${process.pid}`;
  // "zoë" decomposed (e + U+0308) and precomposed in capitals; the domain in Unicode and as punycode.
  const forms = [`zoe\u0308.${tag}@bücher.example`, `ZO\u00CB.${tag}@xn--bcher-kva.example`, `Zo\u00EB.${tag}@B\u00DCCHER.example`];
  const stored = `zo\u00EB.${tag}@xn--bcher-kva.example`;
  const other = `other.${tag}@example.com`;
  const file = join(dataDir, 'members.ndjson');
  writeFileSync(file, `${[...forms.map((email) => member(email, '+447911123601')), member(other, '+447911123609')]
    .map((line) => JSON.stringify(line)).join('\n')}\n`);

  afterAll(async () => {
    if (store === 'mongo') await dropMongoDatabase(env.MONGODB_URI!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the first spelling imports the member, the others change nothing, and a re-run changes nothing', async () => {
    const run = await runImport([file], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('imported 2, updated 0, rejected 0');
    const seen = async () => withStorage(dataDir, env.MONGODB_URI, async (storage) => {
      const account = (await storage.accounts.findByEmail(stored))!;
      return {
        count: await storage.accounts.count(),
        email: account.email,
        phone: account.phone,
        balance: (await storage.loyalty.findMember(account.id))!.balance,
        ledgerSum: await storage.loyalty.sumEntries(account.id),
      };
    });
    const after = await seen();
    expect(after).toEqual({ count: 2, email: stored, phone: '+447911123601', balance: 120, ledgerSum: 120 });
    const again = await runImport([file], env);
    expect(again.stdout.trim()).toBe('imported 0, updated 0, rejected 0');
    expect(await seen()).toEqual(after);
  }, 240_000);
});
