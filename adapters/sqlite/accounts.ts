// SQLite accounts repository: UNIQUE constraints on email and phone are what make duplicates fail.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { Account, AccountPatch } from '../../server/domain/accounts/account.ts';
import type { AccountsRepository, NewAccount } from '../../server/domain/accounts/accounts.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { emailVerifiedEvent, phoneVerifiedEvent } from '../../server/domain/events/domain-event.ts';
import { immediateTransaction, isUniqueViolation } from './database.ts';
import { insertEvents } from './events.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at, phone, contact_changed_at, password_from_mailbox_at';

function toAccount(row: Row): Account {
  return {
    id: text(row, 'id'),
    email: textOrNull(row, 'email'),
    emailVerified: integer(row, 'email_verified') === 1,
    phone: textOrNull(row, 'phone'),
    contactChangedAt: dateOrNull(row, 'contact_changed_at'),
    passwordHash: textOrNull(row, 'password_hash'),
    createdAt: date(row, 'created_at'),
    updatedAt: date(row, 'updated_at'),
    credentialsChangedAt: dateOrNull(row, 'credentials_changed_at'),
    passwordFromMailboxAt: dateOrNull(row, 'password_from_mailbox_at'),
  };
}

export class SqliteAccountsRepository implements AccountsRepository {
  private readonly insertStmt;
  private readonly byIdStmt;
  private readonly byEmailStmt;
  private readonly byPhoneStmt;
  private readonly setPhoneStmt;
  private readonly setEmailStmt;
  private readonly deleteStmt;
  private readonly listUnverifiedStmt;
  private readonly deleteUnverifiedStmt;
  private readonly countStmt;
  private readonly replaceHashStmt;

  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertStmt = db.prepare(`INSERT INTO accounts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL) RETURNING ${COLUMNS}`);
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE id = ?`);
    this.byEmailStmt = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE email = ?`);
    this.byPhoneStmt = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE phone = ?`);
    // contact_changed_at moves only when the number really changes (IS NOT: NULL-safe comparison).
    this.setPhoneStmt = db.prepare(`UPDATE accounts SET contact_changed_at = CASE WHEN phone IS NOT ?1 THEN ?2 ELSE contact_changed_at END,
      phone = ?1, updated_at = ?2 WHERE id = ?3 RETURNING ${COLUMNS}`);
    this.setEmailStmt = db.prepare(`UPDATE accounts SET contact_changed_at = CASE WHEN email IS NOT ?1 THEN ?2 ELSE contact_changed_at END,
      email = ?1, email_verified = 1, updated_at = ?2 WHERE id = ?3 RETURNING ${COLUMNS}`);
    this.deleteStmt = db.prepare('DELETE FROM accounts WHERE id = ?');
    this.listUnverifiedStmt = db.prepare('SELECT id FROM accounts WHERE email_verified = 0 AND phone IS NULL AND created_at < ? ORDER BY created_at LIMIT ?');
    this.deleteUnverifiedStmt = db.prepare('DELETE FROM accounts WHERE id = ? AND email_verified = 0 AND phone IS NULL AND created_at < ?');
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM accounts');
    this.replaceHashStmt = db.prepare('UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?');
  }

  async create(input: NewAccount): Promise<Account> {
    const now = Date.now();
    try {
      const row = this.insertStmt.get(randomUUID(), input.email, input.emailVerified ? 1 : 0, input.passwordHash, now, now);
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return toAccount(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', 'An account with this email already exists', { cause: error });
      throw error;
    }
  }

  async findById(id: string): Promise<Account | undefined> {
    const row = this.byIdStmt.get(id);
    return row ? toAccount(row) : undefined;
  }

  async findByEmail(email: string): Promise<Account | undefined> {
    const row = this.byEmailStmt.get(email);
    return row ? toAccount(row) : undefined;
  }

  async findByPhone(phone: string): Promise<Account | undefined> {
    const row = this.byPhoneStmt.get(phone);
    return row ? toAccount(row) : undefined;
  }

  async setEmail(id: string, email: string): Promise<Account | undefined> {
    // One UPDATE, as for the phone: the unique index on email refuses an address another account holds.
    try {
      const row = this.setEmailStmt.get(email, Date.now(), id);
      return row ? toAccount(row) : undefined;
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', 'An account with this email already exists', { cause: error });
      throw error;
    }
  }

  async setPhone(id: string, phone: string | null): Promise<Account | undefined> {
    // One UPDATE: the unique index refuses a number another account holds, and the old number is
    // freed by the same statement. An account's own number does not collide with itself.
    try {
      // A number set is a number proved (PhoneService sets it only after its code): member.phone_verified,
      // in the same transaction, when it differs from the one the account had.
      return immediateTransaction(this.db, () => {
        const before = this.byIdStmt.get(id);
        const row = this.setPhoneStmt.get(phone, Date.now(), id);
        if (row && before && phone !== null && textOrNull(before, 'phone') !== phone) insertEvents(this.db, [phoneVerifiedEvent(id)]);
        return row ? toAccount(row) : undefined;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', 'Another account has this phone number', { cause: error });
      throw error;
    }
  }

  async update(id: string, patch: AccountPatch): Promise<Account | undefined> {
    // One UPDATE ... RETURNING: atomic without a read-then-write transaction.
    const sets = ['updated_at = ?'];
    const params: SQLInputValue[] = [Date.now()];
    if (patch.emailVerified !== undefined) {
      sets.push('email_verified = ?');
      params.push(patch.emailVerified ? 1 : 0);
    }
    if (patch.passwordHash !== undefined) {
      sets.push('password_hash = ?');
      params.push(patch.passwordHash);
    }
    if (patch.credentialsChangedAt !== undefined) {
      sets.push('credentials_changed_at = ?');
      params.push(patch.credentialsChangedAt === null ? null : patch.credentialsChangedAt.getTime());
    }
    if (patch.passwordFromMailboxAt !== undefined) {
      sets.push('password_from_mailbox_at = ?');
      params.push(patch.passwordFromMailboxAt === null ? null : patch.passwordFromMailboxAt.getTime());
    }
    if (patch.emailVerified !== true) {
      const row = this.db.prepare(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ? RETURNING ${COLUMNS}`).get(...params, id);
      return row ? toAccount(row) : undefined;
    }
    // Verifying the email is an event (member.email_verified) written in the same transaction, once: only when
    // the flag goes from false to true.
    return immediateTransaction(this.db, () => {
      const before = this.byIdStmt.get(id);
      const row = this.db.prepare(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ? RETURNING ${COLUMNS}`).get(...params, id);
      if (!row || !before) return undefined;
      if (integer(before, 'email_verified') === 0) insertEvents(this.db, [emailVerifiedEvent(id)]);
      return toAccount(row);
    });
  }

  async replacePasswordHash(id: string, expected: string, replacement: string): Promise<boolean> {
    // One conditional UPDATE: a password reset committed between the sign-in's read and this write is never undone.
    return Number(this.replaceHashStmt.run(replacement, Date.now(), id, expected).changes) === 1;
  }

  async delete(id: string): Promise<boolean> {
    return Number(this.deleteStmt.run(id).changes) > 0;
  }

  async listUnverified(createdBefore: Date, limit: number): Promise<string[]> {
    return this.listUnverifiedStmt.all(createdBefore.getTime(), limit).map((row) => text(row, 'id'));
  }

  async deleteUnverified(id: string, createdBefore: Date): Promise<boolean> {
    return Number(this.deleteUnverifiedStmt.run(id, createdBefore.getTime()).changes) > 0;
  }

  async count(): Promise<number> {
    const row = this.countStmt.get();
    return row ? integer(row, 'n') : 0;
  }
}
