// Runs the storage contract against the mongoose adapter: FerretDB 1.24 by default, real MongoDB with MONGODB_URI.
import { randomBytes, randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { openMongoStorage } from '../../adapters/mongo/index.ts';
import type { PostEntry } from '../../server/domain/loyalty/loyalty.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { useMongoDatabases, type RawDoc } from '../support/mongo-databases.ts';
import { expectDomainError, uniquePhone } from './harness.ts';
import { describeStorageContract } from './storage-contract.ts';

// Each open() gets its own database, so every group starts empty.
const { freshUri, withRawAccess, withTwoInstances } = useMongoDatabases('contract');

/** A member with `points` earned, on `storage`. */
async function newMemberWith(storage: Storage, points: number): Promise<string> {
  const { accountId } = await storage.loyalty.createMember({ accountId: randomUUID(), memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
  if (points > 0) await storage.loyalty.post(ledgerEntry(accountId, points));
  return accountId;
}

function ledgerEntry(accountId: string, points: number): PostEntry {
  const key = randomUUID();
  return { accountId, kind: points > 0 ? 'earn' : 'redeem', points, partnerId: null, reason: 'test', idempotencyKey: key, requestHash: `hash-${key}` };
}

/** A claim as a post leaves it between claiming its key and marking it applied. */
function pendingClaim(entry: PostEntry, createdAt: Date): RawDoc {
  return { _id: entry.idempotencyKey, requestHash: entry.requestHash, accountId: entry.accountId, status: 'pending', entryId: null, createdAt };
}

/**
 * What two posts on a new member leave when their process dies, as of `claimedAt`: `appended` (100 points) after
 * writing its entry `written`, before marking its claim applied; `lost` (50 points) after claiming, before appending.
 */
async function leavePosts(storage: Storage, raw: mongoose.Connection, claimedAt: Date) {
  const keys = raw.collection<RawDoc>('ledger_keys');
  const accountId = await newMemberWith(storage, 0);
  const appended = ledgerEntry(accountId, 100);
  const posted = await storage.loyalty.post(appended);
  if (!posted.ok) throw new Error('post failed');
  await keys.replaceOne({ _id: appended.idempotencyKey }, pendingClaim(appended, claimedAt));
  const lost = ledgerEntry(accountId, 50);
  await keys.insertOne(pendingClaim(lost, claimedAt));
  return { accountId, keys, appended, written: posted.entry, lost };
}

/** As the server opens it: client secrets sealed (test/contract/clients.contract.ts reads what is at rest). */
const clientSecretKey = randomBytes(32);

describeStorageContract('mongo', () => openMongoStorage({ uri: freshUri(), clientSecretKey }), async () => {
  const uri = freshUri();
  return [await openMongoStorage({ uri, clientSecretKey }), await openMongoStorage({ uri, clientSecretKey })];
}, () => {
  const uri = freshUri();
  return { sealed: () => openMongoStorage({ uri, clientSecretKey }), keyless: () => openMongoStorage({ uri }) };
});

describe('mongo adapter specifics', () => {
  it('keeps everything across a close and reopen of the same database (indexes re-ensured idempotently)', async () => {
    const uri = freshUri();
    const first = await openMongoStorage({ uri });
    const account = await first.accounts.create({ email: 'persist@example.com', emailVerified: true, passwordHash: 'h' });
    await first.oidc.upsert('Session', 's1', { uid: 'u1', accountId: account.id }, 3600);
    await first.close();

    const second = await openMongoStorage({ uri });
    try {
      expect(await second.accounts.findByEmail('persist@example.com')).toEqual(account);
      expect(await second.oidc.findByUid('Session', 'u1')).toEqual({ uid: 'u1', accountId: account.id });
      await expectDomainError(second.accounts.create({ email: 'persist@example.com', emailVerified: false, passwordHash: null }), 'duplicate');
    } finally {
      await second.close();
    }
  });

  it('upgrades a database whose accounts had a unique email index: the index goes, members without an email coexist, emails stay unique', async () => {
    const uri = freshUri();
    const first = await openMongoStorage({ uri });
    const kept = await first.accounts.create({ email: 'kept-before-45@example.com', emailVerified: true, passwordHash: null });
    await first.close();
    // As the previous release left it: a unique index on accounts.email.
    const raw = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
    try {
      await raw.asPromise();
      await raw.collection('accounts').dropIndex('email_lookup');
      await raw.collection('accounts').createIndex({ email: 1 }, { name: 'email_1', unique: true });
    } finally {
      await raw.close();
    }
    const second = await openMongoStorage({ uri });
    try {
      expect(await second.accounts.findById(kept.id)).toEqual(kept);
      const [a, b] = [await second.accounts.create({ email: null, emailVerified: false, passwordHash: null }), await second.accounts.create({ email: null, emailVerified: false, passwordHash: null })];
      expect([a.email, b.email]).toEqual([null, null]);
      await expectDomainError(second.accounts.create({ email: 'kept-before-45@example.com', emailVerified: false, passwordHash: null }), 'duplicate');
    } finally {
      await second.close();
    }
  });

  it('reads an account document written before phones existed as having none, and can give it one', () =>
    withRawAccess(async (storage, raw) => {
      // As the previous release stored accounts: no `phone` field.
      const now = new Date();
      await raw.collection<RawDoc>('identifiers').insertOne({ _id: 'email:legacy@example.com', accountId: 'legacy-1', createdAt: now });
      await raw.collection<RawDoc>('accounts').insertOne({
        _id: 'legacy-1', email: 'legacy@example.com', emailVerified: true, passwordHash: null,
        createdAt: now, updatedAt: now, credentialsChangedAt: null,
      });
      expect(await storage.accounts.findById('legacy-1')).toMatchObject({ email: 'legacy@example.com', phone: null });
      const phone = uniquePhone();
      expect(await storage.accounts.setPhone('legacy-1', phone)).toMatchObject({ id: 'legacy-1', phone });
      expect(await storage.accounts.findByPhone(phone)).toMatchObject({ id: 'legacy-1' });
    }));

  it('reclaims a stale claim whose account does not carry the value, never a young or a rightful one', () =>
    withRawAccess(async (storage, raw) => {
      const claims = raw.collection<RawDoc>('identifiers');
      const stale = new Date(Date.now() - 10 * 60 * 1000);
      const holder = await storage.accounts.create({ email: 'holder@example.com', emailVerified: true, passwordHash: null });
      const taker = await storage.accounts.create({ email: 'taker@example.com', emailVerified: true, passwordHash: null });
      // As a process that died between claiming a number and writing the account would leave it.
      const [lost, young, rightful] = [uniquePhone(), uniquePhone(), uniquePhone()];
      await claims.insertOne({ _id: `phone:${lost}`, accountId: holder.id, createdAt: stale });
      await claims.insertOne({ _id: `phone:${young}`, accountId: holder.id, createdAt: new Date() });
      await storage.accounts.setPhone(holder.id, rightful);
      await claims.updateOne({ _id: `phone:${rightful}` }, { $set: { createdAt: stale } });

      expect(await storage.accounts.setPhone(taker.id, lost)).toMatchObject({ id: taker.id, phone: lost });
      expect(await storage.accounts.findByPhone(lost)).toMatchObject({ id: taker.id });
      await expectDomainError(storage.accounts.setPhone(taker.id, young), 'duplicate');
      await expectDomainError(storage.accounts.setPhone(taker.id, rightful), 'duplicate');
      expect(await storage.accounts.findByPhone(rightful)).toMatchObject({ id: holder.id });

      // Emails likewise: a claim whose account was never written.
      await claims.insertOne({ _id: 'email:ghost@example.com', accountId: 'never-written', createdAt: stale });
      await claims.insertOne({ _id: 'email:soon@example.com', accountId: 'in-flight', createdAt: new Date() });
      expect(await storage.accounts.create({ email: 'ghost@example.com', emailVerified: false, passwordHash: null })).toMatchObject({ email: 'ghost@example.com' });
      await expectDomainError(storage.accounts.create({ email: 'soon@example.com', emailVerified: false, passwordHash: null }), 'duplicate');
    }));

  it('recovers posts a crash left pending: applied when the entry was written, given back when not', () =>
    withRawAccess(async (storage, raw) => {
      const { accountId, keys, appended, written, lost } = await leavePosts(storage, raw, new Date(Date.now() - 10 * 60 * 1000));
      // Claimed just now: a post still in flight, not for recovery to touch.
      const young = ledgerEntry(accountId, 7);
      await keys.insertOne(pendingClaim(young, new Date()));

      expect(await storage.loyalty.recoverPending(new Date(Date.now() - 60_000))).toBe(2);
      expect(await keys.findOne({ _id: appended.idempotencyKey })).toMatchObject({ status: 'applied', entryId: written.id });
      expect(await keys.findOne({ _id: lost.idempotencyKey })).toBeNull();
      expect(await keys.findOne({ _id: young.idempotencyKey })).toMatchObject({ status: 'pending' });
      expect(await storage.loyalty.recoverPending(new Date(Date.now() - 60_000))).toBe(0);

      // The applied post replays; the lost one was never written, so its key is free and it goes through now.
      expect(await storage.loyalty.post(appended)).toEqual({ ok: true, replayed: true, entry: written });
      expect(await storage.loyalty.post(lost)).toMatchObject({ ok: true, replayed: false, entry: { sequence: 2, balanceAfter: 150 } });
      expect(await storage.loyalty.sumEntries(accountId)).toBe(150);
    }));

  it('settles a key a dead request left pending when the post is retried: replayed from its entry, or written now', () =>
    withRawAccess(async (storage, raw) => {
      const { accountId, keys, appended, written, lost } = await leavePosts(storage, raw, new Date(Date.now() - 60 * 60 * 1000));
      expect(await storage.loyalty.post(appended)).toEqual({ ok: true, replayed: true, entry: written });
      expect(await keys.findOne({ _id: appended.idempotencyKey })).toMatchObject({ status: 'applied', entryId: written.id });
      // Nothing was written under the lost key and its claim is stale: the retry gives it back and writes, once
      // (the entries' unique key index keeps a request that only hung from writing it a second time).
      expect(await storage.loyalty.post(lost)).toMatchObject({ ok: true, replayed: false, entry: { sequence: 2, balanceAfter: 150 } });
      expect(await keys.findOne({ _id: lost.idempotencyKey })).toMatchObject({ status: 'applied' });
      expect(await storage.loyalty.findMember(accountId)).toMatchObject({ balance: 150 });
      expect(await storage.loyalty.sumEntries(accountId)).toBe(150);
    }));

  it('refuses a second entry for a key whose claim is gone (settled under a post in flight), and replays the first', () =>
    withRawAccess(async (storage, raw) => {
      const keys = raw.collection<RawDoc>('ledger_keys');
      const accountId = await newMemberWith(storage, 0);
      const earn = ledgerEntry(accountId, 30);
      const written = await storage.loyalty.post(earn);
      if (!written.ok) throw new Error('post failed');
      await keys.deleteOne({ _id: earn.idempotencyKey });

      expect(await storage.loyalty.post({ ...earn, requestHash: 'other' })).toEqual({ ok: false, reason: 'idempotency_conflict' });
      expect(await keys.findOne({ _id: earn.idempotencyKey })).toMatchObject({ status: 'applied', entryId: written.entry.id, requestHash: earn.requestHash });
      await keys.deleteOne({ _id: earn.idempotencyKey });
      expect(await storage.loyalty.post(earn)).toEqual({ ok: true, replayed: true, entry: written.entry });
      expect(await storage.loyalty.listEntries(accountId, { limit: 10 })).toEqual([written.entry]);
    }));

  it('keeps the ledger exact when two instances post on one member at once', () =>
    withTwoInstances(async (a, b) => {
      const accountId = await newMemberWith(a, 1000);
      // 30 redemptions of 100 against 1,000 points, each sent by both instances at once.
      const redemptions = Array.from({ length: 30 }, () => ledgerEntry(accountId, -100));
      const results = await Promise.all(redemptions.flatMap((r) => [a.loyalty.post(r), b.loyalty.post(r)]));

      expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(10);
      for (let i = 0; i < redemptions.length; i += 1) {
        const [first, second] = [results[2 * i], results[2 * i + 1]];
        // Both sends of a redemption got the same answer: the one entry, or a refusal.
        if (first?.ok && second?.ok) expect(first.entry).toEqual(second.entry);
        else expect([first, second]).toEqual([{ ok: false, reason: 'insufficient_points' }, { ok: false, reason: 'insufficient_points' }]);
      }
      const entries = await b.loyalty.listEntries(accountId, { limit: 100 });
      expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 11 }, (_, i) => 11 - i));
      expect(entries.every((e, i) => e.balanceAfter === (entries[i + 1]?.balanceAfter ?? 0) + e.points)).toBe(true);
      expect(await a.loyalty.findMember(accountId)).toMatchObject({ balance: 0, lifetimePoints: 1000 });
      expect(await a.loyalty.sumEntries(accountId)).toBe(0);
      expect(await a.loyalty.recoverPending(new Date(Date.now() + 60_000))).toBe(0);
    }), 60_000);

  it('writes one entry for one key sent through two instances at once', () =>
    withTwoInstances(async (a, b) => {
      const accountId = await newMemberWith(a, 0);
      const earn = ledgerEntry(accountId, 40);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).loyalty.post(earn)));
      expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
      expect(results.every((r) => r.ok && r.entry.idempotencyKey === earn.idempotencyKey && r.entry.sequence === 1)).toBe(true);
      expect(await b.loyalty.findMember(accountId)).toMatchObject({ balance: 40 });
    }));

  it('reclaims a member number whose member was never written, never one a member holds', () =>
    withRawAccess(async (storage, raw) => {
      const memberNumber = generateMemberNumber();
      // As a process that died between claiming the number and writing the member would leave it.
      await raw.collection<RawDoc>('identifiers').insertOne({ _id: `card:${memberNumber}`, accountId: 'never-written', createdAt: new Date(Date.now() - 10 * 60 * 1000) });
      expect(await storage.loyalty.findMemberByNumber(memberNumber)).toBeUndefined();
      const accountId = randomUUID();
      expect(await storage.loyalty.createMember({ accountId, memberNumber, enrolmentChannel: 'app' })).toMatchObject({ accountId, memberNumber });
      expect(await storage.loyalty.findMemberByNumber(memberNumber)).toMatchObject({ accountId });
      // The same account asking again with its own number keeps it.
      await expectDomainError(storage.loyalty.createMember({ accountId, memberNumber, enrolmentChannel: 'app' }), 'duplicate');
      expect(await storage.loyalty.findMemberByNumber(memberNumber)).toMatchObject({ accountId });
    }));

  it('keeps phone numbers unique across two connections (two app instances)', () =>
    withTwoInstances(async (a, b) => {
      const accounts = await Promise.all(
        Array.from({ length: 6 }, (_, i) => a.accounts.create({ email: `phone-race-${i}@example.com`, emailVerified: true, passwordHash: null })),
      );
      const phone = uniquePhone();
      const results = await Promise.allSettled(accounts.map((account, i) => (i % 2 ? a : b).accounts.setPhone(account.id, phone)));
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const stored = await Promise.all(accounts.map((account) => b.accounts.findById(account.id)));
      expect(stored.filter((account) => account?.phone === phone)).toHaveLength(1);
    }));

  it('keeps emails unique across two connections (two app instances)', () =>
    withTwoInstances(async (a, b) => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).accounts.create({ email: 'race@example.com', emailVerified: false, passwordHash: null })),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(await a.accounts.count()).toBe(1);
    }));
});
