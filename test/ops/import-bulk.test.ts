// New members of an import file go in through the store's bulk path, and rows that share an email with another row go
// one by one: an operator sees the same members either way (account, phone, profile, points and their ledger, kept
// data, events), a number or phone another member holds rejects the row by its field, and a re-run changes nothing.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { openStorage } from '../../adapters/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { importEnv, runImport, type ImportRun } from '../support/import-run.ts';
import { STORES } from '../support/test-server.ts';

describe.each(STORES)('import of new members in bulk (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const setup = importEnv(store, 'bulk');
  const { env, dataDir } = setup;
  const tag = `${store}.${process.pid}`;
  const hash = bcrypt.hashSync('old password', 4);
  const heldNumber = '79927398713';
  const heldPhone = '+447911123411';
  const member = (email: string, phone: string) => ({
    email, email_verified: true, password_hash: hash, phone_number: phone, given_name: 'Ada', family_name: 'Byron', locale: 'fr',
    points_balance: 120, lifetime_points: 500, tier: 'gold', enrolment_channel: 'kiosk', consents: { marketing_email: '2024-03-01' },
  });
  const bulk = `bulk.${tag}@example.com`;
  const oneByOne = `one.${tag}@example.com`;
  const lines = [
    member(bulk, '+447911123401'),
    // The same email twice (case differs): both go one by one, the second changes nothing.
    member(oneByOne.toUpperCase(), '+447911123402'),
    member(oneByOne, '+447911123402'),
    { ...member(`number.${tag}@example.com`, '+447911123403'), member_number: heldNumber },
    member(`phone.${tag}@example.com`, heldPhone),
  ].map((line) => JSON.stringify(line));
  const file = join(dataDir, 'members.ndjson');
  let first: ImportRun;

  async function withStorage<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = await openStorage({ dataDir, mongodbUri: env.MONGODB_URI });
    try {
      return await work(storage);
    } finally {
      await storage.close();
    }
  }

  /** What an operator checks on a member, without the ids and the email that differ between the two. */
  async function seen(storage: Storage, email: string) {
    const account = (await storage.accounts.findByEmail(email))!;
    const loyalty = (await storage.loyalty.findMember(account.id))!;
    const events = await storage.events.listByTime({ from: new Date(0), to: new Date(Date.now() + 60_000), limit: 1000 });
    return {
      emailVerified: account.emailVerified,
      passwordHash: account.passwordHash,
      hasPhone: account.phone !== null,
      member: { channel: loyalty.enrolmentChannel, balance: loyalty.balance, lifetime: loyalty.lifetimePoints, numberValid: /^\d{11}$/.test(loyalty.memberNumber) },
      entries: (await storage.loyalty.listEntries(account.id, { limit: 10 }))
        .map((entry) => [entry.sequence, entry.kind, entry.points, entry.balanceAfter, entry.lifetimeAfter, entry.reason, entry.idempotencyKey.replace(account.id, '<account>')]),
      ledgerSum: await storage.loyalty.sumEntries(account.id),
      profile: Object.fromEntries(Object.values((await storage.profiles.find(account.id)).fields).map((field) => [field.name, field.value])),
      data: await storage.memberImports.findMemberData(account.id),
      events: events.filter((event) => event.memberId === account.id && event.type !== 'member.profile_updated').map((event) => event.type).sort(),
      // How the member came (the sign-up analytics count imports by it).
      createdMethod: events.find((event) => event.memberId === account.id && event.type === 'member.created')?.data.method,
    };
  }

  beforeAll(async () => {
    await withStorage(async (storage) => {
      const holder = await storage.accounts.create({ email: `holder.${tag}@example.com`, emailVerified: true, passwordHash: null });
      await storage.accounts.setPhone(holder.id, heldPhone);
      await storage.loyalty.createMember({ accountId: holder.id, memberNumber: heldNumber, enrolmentChannel: 'web' });
    });
    writeFileSync(file, `${lines.join('\n')}\n`);
    first = await runImport([file], env);
  }, 240_000);

  afterAll(async () => {
    if (store === 'mongo') await dropMongoDatabase(env.MONGODB_URI!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a number or a phone another member holds rejects that row by its field; the others go in', () => {
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe('imported 2, updated 0, rejected 2');
    expect(first.stderr).toContain('line 4: member_number: belongs to another member');
    expect(first.stderr).toContain('line 5: phone_number: belongs to another member');
  });

  test('a member written in bulk is the member the row-by-row import writes', async () => {
    await withStorage(async (storage) => {
      const [inBulk, byRow] = [await seen(storage, bulk), await seen(storage, oneByOne)];
      expect(inBulk).toEqual(byRow);
      expect(inBulk).toMatchObject({
        hasPhone: true,
        member: { channel: 'kiosk', balance: 120, lifetime: 500, numberValid: true },
        ledgerSum: 120,
        profile: { given_name: 'Ada', family_name: 'Byron', locale: 'fr' },
        data: { tier: 'gold', consents: { marketing_email: '2024-03-01' } },
        events: ['member.created', 'member.phone_verified', 'points.adjusted', 'points.adjusted'],
        createdMethod: 'import',
      });
      expect(await storage.accounts.findByEmail(`number.${tag}@example.com`)).toBeUndefined();
      // A refused new member leaves nothing: SQLite undoes the row, and Mongo's bulk path checks the claims first
      // (and gives back those it took when a claim is refused).
      expect(await storage.accounts.findByEmail(`phone.${tag}@example.com`)).toBeUndefined();
    });
  });

  test('running the file again changes nothing', async () => {
    const again = await runImport([file], env);
    expect(again.stdout.trim()).toBe('imported 0, updated 0, rejected 2');
    await withStorage(async (storage) => expect((await seen(storage, bulk)).ledgerSum).toBe(120));
  }, 240_000);
});
