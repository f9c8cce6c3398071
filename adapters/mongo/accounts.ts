// Mongo accounts repository: email uniqueness through the `identifiers` collection (no transactions, no partial indexes).
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { Account, AccountPatch } from '../../server/domain/accounts/account.ts';
import type { AccountsRepository, NewAccount } from '../../server/domain/accounts/accounts.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { isDuplicateKey } from './errors.ts';
import type { AccountDoc, IdentifierDoc } from './models.ts';

/**
 * An identifier whose account never appeared (the process died between the two inserts) is reclaimed
 * after this long; younger ones may belong to a create still in flight.
 */
const ORPHAN_GRACE_MS = 5 * 60 * 1000;

function emailIdentifier(email: string): string {
  return `email:${email}`;
}

function toAccount(doc: AccountDoc): Account {
  return {
    id: doc._id,
    email: doc.email,
    emailVerified: doc.emailVerified,
    passwordHash: doc.passwordHash ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    credentialsChangedAt: doc.credentialsChangedAt ?? null,
  };
}

function duplicate(cause: unknown): DomainError {
  return new DomainError('duplicate', 'An account with this email already exists', { cause });
}

export class MongoAccountsRepository implements AccountsRepository {
  private readonly accounts: Model<AccountDoc>;
  private readonly identifiers: Model<IdentifierDoc>;

  constructor(accounts: Model<AccountDoc>, identifiers: Model<IdentifierDoc>) {
    this.accounts = accounts;
    this.identifiers = identifiers;
  }

  async create(input: NewAccount): Promise<Account> {
    const now = new Date();
    const id = randomUUID();
    // The identifier is claimed first: its _id is the unique key, so exactly one concurrent create wins.
    await this.claimEmail(input.email, id, now);
    const doc: AccountDoc = {
      _id: id,
      email: input.email,
      emailVerified: input.emailVerified,
      passwordHash: input.passwordHash,
      createdAt: now,
      updatedAt: now,
      credentialsChangedAt: null,
    };
    try {
      await this.accounts.create(doc);
    } catch (error) {
      // Give the email back; only our own claim is removed.
      await this.identifiers.deleteOne({ _id: emailIdentifier(input.email), accountId: id });
      if (isDuplicateKey(error)) throw duplicate(error);
      throw error;
    }
    return toAccount(doc);
  }

  private async claimEmail(email: string, accountId: string, now: Date): Promise<void> {
    const _id = emailIdentifier(email);
    try {
      await this.identifiers.create({ _id, accountId, createdAt: now });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const holder = await this.identifiers.findById(_id).lean<IdentifierDoc>().exec();
      const orphaned = holder !== null
        && holder.createdAt.getTime() < now.getTime() - ORPHAN_GRACE_MS
        && (await this.accounts.exists({ _id: holder.accountId })) === null;
      if (!orphaned) throw duplicate(error);
      // Conditional on the orphan's accountId, so two reclaimers cannot delete a fresh claim.
      await this.identifiers.deleteOne({ _id, accountId: holder.accountId });
    }
    try {
      await this.identifiers.create({ _id, accountId, createdAt: now });
    } catch (error) {
      if (isDuplicateKey(error)) throw duplicate(error);
      throw error;
    }
  }

  async findById(id: string): Promise<Account | undefined> {
    const doc = await this.accounts.findById(id).lean<AccountDoc>().exec();
    return doc ? toAccount(doc) : undefined;
  }

  async findByEmail(email: string): Promise<Account | undefined> {
    const doc = await this.accounts.findOne({ email }).lean<AccountDoc>().exec();
    return doc ? toAccount(doc) : undefined;
  }

  async update(id: string, patch: AccountPatch): Promise<Account | undefined> {
    const set: Partial<AccountDoc> = { updatedAt: new Date() };
    if (patch.emailVerified !== undefined) set.emailVerified = patch.emailVerified;
    if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
    if (patch.credentialsChangedAt !== undefined) set.credentialsChangedAt = patch.credentialsChangedAt;
    const doc = await this.accounts.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' }).lean<AccountDoc>().exec();
    return doc ? toAccount(doc) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const doc = await this.accounts.findById(id).lean<AccountDoc>().exec();
    if (!doc) return false;
    // deleteOne's count is exact even on FerretDB, so of two concurrent deletes only one reports true.
    // Account first, identifier second: a crash in between leaves an orphan claim, which create() reclaims.
    const { deletedCount } = await this.accounts.deleteOne({ _id: id });
    if (deletedCount === 0) return false;
    await this.identifiers.deleteOne({ _id: emailIdentifier(doc.email), accountId: id });
    return true;
  }

  async count(): Promise<number> {
    return this.accounts.countDocuments({});
  }
}
