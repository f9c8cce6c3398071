// SQLite second factors: single use (confirm, recovery codes, use records) rests on one conditional statement each.
import type { DatabaseSync } from 'node:sqlite';
import { DomainError } from '../../server/domain/errors.ts';
import type { Factor, FactorsRepository, FactorType, RecoveryCode } from '../../server/domain/factors/factors.repository.ts';
import { immediateTransaction, isUniqueViolation } from './database.ts';
import { date, dateOrNull, text, type Row } from './rows.ts';

const COLUMNS = 'id, account_id, type, secret, label, created_at, confirmed_at, last_used_at';

function isFactorType(value: string): value is FactorType {
  return value === 'totp';
}

function toFactor(row: Row): Factor {
  const type = text(row, 'type');
  if (!isFactorType(type)) throw new TypeError(`factor ${text(row, 'id')}: unknown type ${type}`);
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    type,
    secret: text(row, 'secret'),
    label: text(row, 'label'),
    createdAt: date(row, 'created_at'),
    confirmedAt: dateOrNull(row, 'confirmed_at'),
    lastUsedAt: dateOrNull(row, 'last_used_at'),
  };
}

function toRecoveryCode(row: Row): RecoveryCode {
  return { accountId: text(row, 'account_id'), codeHash: text(row, 'code_hash'), usedAt: dateOrNull(row, 'used_at') };
}

function epochOrNull(value: Date | null): number | null {
  return value === null ? null : value.getTime();
}

export class SqliteFactorsRepository implements FactorsRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly listStmt;
  private readonly confirmStmt;
  private readonly touchStmt;
  private readonly deleteStmt;
  private readonly deleteUnconfirmedStmt;
  private readonly deleteCodesStmt;
  private readonly insertCodeStmt;
  private readonly listCodesStmt;
  private readonly useCodeStmt;
  private readonly claimStmt;
  private readonly sweepStmt;

  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertStmt = db.prepare(`INSERT INTO factors (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM factors WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM factors WHERE account_id = ? ORDER BY created_at, id`);
    this.confirmStmt = db.prepare('UPDATE factors SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL');
    this.touchStmt = db.prepare('UPDATE factors SET last_used_at = ? WHERE id = ?');
    // A factor's use records are left to expire and be swept: its ids are random, so none is ever reused.
    this.deleteStmt = db.prepare('DELETE FROM factors WHERE id = ?');
    this.deleteUnconfirmedStmt = db.prepare('DELETE FROM factors WHERE account_id = ? AND confirmed_at IS NULL');
    this.deleteCodesStmt = db.prepare('DELETE FROM recovery_codes WHERE account_id = ?');
    // OR IGNORE: a hash given twice is one code, not a failed replace.
    this.insertCodeStmt = db.prepare('INSERT OR IGNORE INTO recovery_codes (account_id, code_hash, used_at) VALUES (?, ?, NULL)');
    this.listCodesStmt = db.prepare('SELECT account_id, code_hash, used_at FROM recovery_codes WHERE account_id = ? ORDER BY code_hash');
    this.useCodeStmt = db.prepare('UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL');
    // One statement: a fresh pair is inserted, an expired record is taken over in place, a live one is
    // left alone (0 changes). SQLite runs it under the write lock, so concurrent claims cannot both win.
    this.claimStmt = db.prepare(
      `INSERT INTO factor_uses (factor_id, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (factor_id, value) DO UPDATE SET expires_at = excluded.expires_at WHERE factor_uses.expires_at <= ?`,
    );
    this.sweepStmt = db.prepare('DELETE FROM factor_uses WHERE expires_at <= ?');
  }

  async create(factor: Factor): Promise<void> {
    try {
      this.insertStmt.run(
        factor.id,
        factor.accountId,
        factor.type,
        factor.secret,
        factor.label,
        factor.createdAt.getTime(),
        epochOrNull(factor.confirmedAt),
        epochOrNull(factor.lastUsedAt),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', `Factor ${factor.id} already exists`, { cause: error });
      throw error;
    }
  }

  async find(id: string): Promise<Factor | undefined> {
    const row = this.findStmt.get(id);
    return row ? toFactor(row) : undefined;
  }

  async listByAccount(accountId: string): Promise<Factor[]> {
    return this.listStmt.all(accountId).map(toFactor);
  }

  async confirm(id: string, at: Date): Promise<boolean> {
    return Number(this.confirmStmt.run(at.getTime(), id).changes) === 1;
  }

  async touch(id: string, at: Date): Promise<void> {
    this.touchStmt.run(at.getTime(), id);
  }

  async delete(id: string): Promise<boolean> {
    return Number(this.deleteStmt.run(id).changes) > 0;
  }

  async deleteUnconfirmed(accountId: string): Promise<number> {
    return Number(this.deleteUnconfirmedStmt.run(accountId).changes);
  }

  async replaceRecoveryCodes(accountId: string, codeHashes: string[]): Promise<void> {
    // One transaction: no reader ever sees the account with both sets, or with neither.
    immediateTransaction(this.db, () => {
      this.deleteCodesStmt.run(accountId);
      for (const codeHash of codeHashes) this.insertCodeStmt.run(accountId, codeHash);
    });
  }

  async listRecoveryCodes(accountId: string): Promise<RecoveryCode[]> {
    return this.listCodesStmt.all(accountId).map(toRecoveryCode);
  }

  async useRecoveryCode(accountId: string, codeHash: string, at: Date): Promise<boolean> {
    return Number(this.useCodeStmt.run(at.getTime(), accountId, codeHash).changes) === 1;
  }

  async claimUse(factorId: string, value: string, expiresAt: Date): Promise<boolean> {
    return Number(this.claimStmt.run(factorId, value, expiresAt.getTime(), Date.now()).changes) === 1;
  }

  async sweepExpiredUses(now: Date): Promise<number> {
    return Number(this.sweepStmt.run(now.getTime()).changes);
  }
}
