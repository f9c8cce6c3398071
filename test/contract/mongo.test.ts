// Runs the storage contract against the mongoose adapter: FerretDB 1.24 by default, real MongoDB with MONGODB_URI.
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { openMongoStorage } from '../../adapters/mongo/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { expectDomainError, uniquePhone } from './harness.ts';
import { describeStorageContract } from './storage-contract.ts';

// Unique per test file and run; each open() gets its own database under this prefix so every group starts empty.
const prefix = `contract_${randomBytes(4).toString('hex')}`;
mongoTestUri(prefix); // fails the file loudly (never skips) when no MongoDB was provided
const used: string[] = [];
let counter = 0;

function freshUri(): string {
  const uri = mongoTestUri(`${prefix}_${counter++}`);
  used.push(uri);
  return uri;
}

afterAll(async () => {
  for (const uri of used) await dropMongoDatabase(uri);
});

/** A document as stored, with the adapter's string _ids. */
interface RawDoc {
  _id: string;
  [field: string]: unknown;
}

/**
 * A store on a fresh database plus a plain connection to it, to write documents behind the adapter's
 * back (old shapes, crash leftovers); both closed after `work`.
 */
async function withRawAccess(work: (storage: Storage, raw: mongoose.Connection) => Promise<void>): Promise<void> {
  const uri = freshUri();
  const storage = await openMongoStorage({ uri });
  const raw = mongoose.createConnection(uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
  try {
    await raw.asPromise();
    await work(storage, raw);
  } finally {
    await raw.close();
    await storage.close();
  }
}

/** Two stores on one fresh database, as two app instances open it; both closed after `work`. */
async function withTwoInstances(work: (a: Storage, b: Storage) => Promise<void>): Promise<void> {
  const uri = freshUri();
  const [a, b] = await Promise.all([openMongoStorage({ uri }), openMongoStorage({ uri })]);
  try {
    await work(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

describeStorageContract('mongo', () => openMongoStorage({ uri: freshUri() }));

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
