// Runs the storage contract against the mongoose adapter: FerretDB 1.24 by default, real MongoDB with MONGODB_URI.
import { randomBytes } from 'node:crypto';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { openMongoStorage } from '../../adapters/mongo/index.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { expectDomainError } from './harness.ts';
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

  it('keeps emails unique across two connections (two app instances)', async () => {
    const uri = freshUri();
    const [a, b] = await Promise.all([openMongoStorage({ uri }), openMongoStorage({ uri })]);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).accounts.create({ email: 'race@example.com', emailVerified: false, passwordHash: null })),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(await a.accounts.count()).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
