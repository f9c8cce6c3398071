// Mongo accounts repository: email and phone uniqueness through the `identifiers` collection (no transactions, no partial indexes).
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { Account, AccountPatch } from '../../server/domain/accounts/account.ts';
import type { AccountsRepository, NewAccount } from '../../server/domain/accounts/accounts.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { emailVerifiedEvent, phoneVerifiedEvent } from '../../server/domain/events/domain-event.ts';
import { confirmEvents, dropEvents, insertPendingEvents } from './events.ts';
import { claimIdentifier, releaseIdentifier } from './claims.ts';
import { isDuplicateKey } from './errors.ts';
import { KeyedQueue } from './keyed-queue.ts';
import type { AccountDoc, EventDoc, IdentifierDoc } from './models.ts';

/** The unique identifiers of an account; each is the AccountDoc field of the same name. */
type IdentifierKind = 'email' | 'phone';

const TAKEN: Record<IdentifierKind, string> = {
  email: 'An account with this email already exists',
  phone: 'Another account has this phone number',
};

function identifierId(kind: IdentifierKind, value: string): string {
  return `${kind}:${value}`;
}

function toAccount(doc: AccountDoc): Account {
  return {
    id: doc._id,
    email: doc.email,
    emailVerified: doc.emailVerified,
    phone: doc.phone ?? null,
    contactChangedAt: doc.contactChangedAt ?? null,
    passwordHash: doc.passwordHash ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    credentialsChangedAt: doc.credentialsChangedAt ?? null,
    passwordFromMailboxAt: doc.passwordFromMailboxAt ?? null,
  };
}

function duplicate(kind: IdentifierKind, cause: unknown): DomainError {
  return new DomainError('duplicate', TAKEN[kind], { cause });
}

export class MongoAccountsRepository implements AccountsRepository {
  private readonly accounts: Model<AccountDoc>;
  private readonly identifiers: Model<IdentifierDoc>;
  private readonly replacingHashOf = new KeyedQueue();

  private readonly events: Model<EventDoc>;

  constructor(accounts: Model<AccountDoc>, identifiers: Model<IdentifierDoc>, events: Model<EventDoc>) {
    this.accounts = accounts;
    this.identifiers = identifiers;
    this.events = events;
  }

  async create(input: NewAccount): Promise<Account> {
    const now = new Date();
    const id = randomUUID();
    // The identifier is claimed first: its _id is the unique key, so exactly one concurrent create wins.
    // A phone-first member has no email to claim (its number is claimed by setPhone).
    if (input.email !== null) await this.claim('email', input.email, id, now);
    const doc: AccountDoc = {
      _id: id,
      email: input.email,
      emailVerified: input.emailVerified,
      phone: null,
      passwordHash: input.passwordHash,
      createdAt: now,
      updatedAt: now,
      credentialsChangedAt: null,
    };
    try {
      await this.accounts.create(doc);
    } catch (error) {
      if (input.email !== null) await this.release('email', input.email, id);
      if (isDuplicateKey(error)) throw duplicate('email', error);
      throw error;
    }
    return toAccount(doc);
  }

  /**
   * Claims `kind:value` for the account (see claimIdentifier): of concurrent claimers exactly one wins; a claim
   * the account already holds is kept; one whose account does not carry the value is reclaimed once old.
   */
  private async claim(kind: IdentifierKind, value: string, accountId: string, now: Date): Promise<void> {
    await claimIdentifier(this.identifiers, {
      id: identifierId(kind, value),
      accountId,
      now,
      carried: async (holder) => (await this.accounts.exists({ _id: holder.accountId, [kind]: value })) !== null,
      taken: (cause) => duplicate(kind, cause),
    });
  }

  private async release(kind: IdentifierKind, value: string, accountId: string): Promise<void> {
    await releaseIdentifier(this.identifiers, identifierId(kind, value), accountId);
  }

  async findById(id: string): Promise<Account | undefined> {
    const doc = await this.accounts.findById(id).lean<AccountDoc>().exec();
    return doc ? toAccount(doc) : undefined;
  }

  async findByEmail(email: string): Promise<Account | undefined> {
    const doc = await this.accounts.findOne({ email }).lean<AccountDoc>().exec();
    return doc ? toAccount(doc) : undefined;
  }

  async findByPhone(phone: string): Promise<Account | undefined> {
    // The claim names the one holder; the account must also carry the number (it may not yet, or no
    // longer, while a setPhone is half done). No index on accounts.phone is needed: both reads are by _id.
    const holder = await this.identifiers.findById(identifierId('phone', phone)).lean<IdentifierDoc>().exec();
    if (!holder) return undefined;
    const doc = await this.accounts.findOne({ _id: holder.accountId, phone }).lean<AccountDoc>().exec();
    return doc ? toAccount(doc) : undefined;
  }

  async setEmail(id: string, email: string): Promise<Account | undefined> {
    const now = new Date();
    // As setPhone: claim the new address, write the account, release the old address.
    try {
      await this.claim('email', email, id, now);
    } catch (error) {
      if (error instanceof DomainError && (await this.accounts.exists({ _id: id })) === null) return undefined;
      throw error;
    }
    const before = await this.accounts
      .findOneAndUpdate({ _id: id }, { $set: { email, emailVerified: true, updatedAt: now } }, { returnDocument: 'before' })
      .lean<AccountDoc>()
      .exec();
    if (!before) {
      await this.release('email', email, id);
      return undefined;
    }
    if (before.email === email) return toAccount({ ...before, emailVerified: true, updatedAt: now });
    if (before.email !== null) await this.release('email', before.email, id);
    await this.accounts.updateOne({ _id: id }, { $set: { contactChangedAt: now } });
    return toAccount({ ...before, email, emailVerified: true, updatedAt: now, contactChangedAt: now });
  }

  async setPhone(id: string, phone: string | null): Promise<Account | undefined> {
    const now = new Date();
    // Claim the new number, then write the account, then release the old number: a crash at any point
    // leaves at worst a claim its account does not carry, which claim() reclaims after the grace period.
    if (phone !== null) {
      try {
        await this.claim('phone', phone, id, now);
      } catch (error) {
        // A missing account answers undefined whoever holds the number, as in the SQLite adapter.
        if (error instanceof DomainError && (await this.accounts.exists({ _id: id })) === null) return undefined;
        throw error;
      }
    }
    // member.phone_verified waits at its recoverable step (proof: the account carries the number) until the
    // write is in; it goes if the number was the account's already, or the account is gone.
    const pending = phone === null ? [] : await insertPendingEvents(this.events, [phoneVerifiedEvent(id, now)], `phone:${id}:${phone}`);
    const before = await this.accounts
      .findOneAndUpdate({ _id: id }, { $set: { phone, updatedAt: now } }, { returnDocument: 'before' })
      .lean<AccountDoc>()
      .exec();
    if (!before || (before.phone ?? null) === phone) await dropEvents(this.events, pending);
    else await confirmEvents(this.events, pending);
    if (!before) {
      if (phone !== null) await this.release('phone', phone, id);
      return undefined;
    }
    const previous = before.phone ?? null;
    if (previous !== null && previous !== phone) await this.release('phone', previous, id);
    // A second write (no transactions): only a real change of number moves contactChangedAt.
    if (previous === phone) return toAccount({ ...before, phone, updatedAt: now });
    await this.accounts.updateOne({ _id: id }, { $set: { contactChangedAt: now } });
    return toAccount({ ...before, phone, updatedAt: now, contactChangedAt: now });
  }

  async update(id: string, patch: AccountPatch): Promise<Account | undefined> {
    const set: Partial<AccountDoc> = { updatedAt: new Date() };
    if (patch.emailVerified !== undefined) set.emailVerified = patch.emailVerified;
    if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
    if (patch.credentialsChangedAt !== undefined) set.credentialsChangedAt = patch.credentialsChangedAt;
    if (patch.passwordFromMailboxAt !== undefined) set.passwordFromMailboxAt = patch.passwordFromMailboxAt;
    if (patch.emailVerified !== true) {
      const doc = await this.accounts.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' }).lean<AccountDoc>().exec();
      return doc ? toAccount(doc) : undefined;
    }
    // member.email_verified at its recoverable step (proof: the account's flag is set) before the write; kept
    // only when this write is the one that set it.
    const pending = await insertPendingEvents(this.events, [emailVerifiedEvent(id)], `email_verified:${id}`);
    const before = await this.accounts.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'before' }).lean<AccountDoc>().exec();
    if (before && !before.emailVerified) await confirmEvents(this.events, pending);
    else await dropEvents(this.events, pending);
    return before ? toAccount({ ...before, ...set }) : undefined;
  }

  async replacePasswordHash(id: string, expected: string, replacement: string): Promise<boolean> {
    // One conditional update on the old hash: a password reset committed meanwhile is never undone. MongoDB applies
    // it atomically per document; FerretDB v1 reads then writes, so concurrent upgrades in this process queue up
    // (the second then finds the hash changed). Two instances racing on FerretDB may both rehash the same password.
    return this.replacingHashOf.run(id, async () => {
      const { modifiedCount } = await this.accounts.updateOne({ _id: id, passwordHash: expected }, { $set: { passwordHash: replacement, updatedAt: new Date() } });
      return modifiedCount === 1;
    });
  }

  async delete(id: string): Promise<boolean> {
    // deleteOne's count is exact even on FerretDB, so of two concurrent deletes only one reports true.
    // Account first, identifiers second: a crash in between leaves orphan claims, which claim() reclaims.
    const { deletedCount } = await this.accounts.deleteOne({ _id: id });
    if (deletedCount === 0) return false;
    // Every claim of the account (email, phone, and any a half-done setPhone left behind), by the accountId index.
    await this.identifiers.deleteMany({ accountId: id });
    return true;
  }

  async listUnverified(createdBefore: Date, limit: number): Promise<string[]> {
    const docs = await this.accounts.find({ emailVerified: false, phone: null, createdAt: { $lt: createdBefore } }, { _id: 1 }).limit(limit).lean<Pick<AccountDoc, '_id'>[]>().exec();
    return docs.map((doc) => doc._id);
  }

  async deleteUnverified(id: string, createdBefore: Date): Promise<boolean> {
    const { deletedCount } = await this.accounts.deleteOne({ _id: id, emailVerified: false, phone: null, createdAt: { $lt: createdBefore } });
    if (deletedCount === 0) return false;
    await this.identifiers.deleteMany({ accountId: id });
    return true;
  }

  async count(): Promise<number> {
    return this.accounts.countDocuments({});
  }
}
