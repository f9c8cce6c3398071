// SQLite passkeys: the counter only moves forward because recordUse is one conditional UPDATE under the write lock.
import type { DatabaseSync } from 'node:sqlite';
import { DomainError } from '../../server/domain/errors.ts';
import type { Passkey, PasskeysRepository } from '../../server/domain/passkeys/passkeys.repository.ts';
import { isUniqueViolation } from './database.ts';
import { date, dateOrNull, integer, text, type Row } from './rows.ts';

const COLUMNS = 'id, account_id, public_key, counter, transports, device_type, backed_up, name, created_at, last_used_at';

function deviceType(row: Row): Passkey['deviceType'] {
  const value = text(row, 'device_type');
  if (value !== 'singleDevice' && value !== 'multiDevice') throw new TypeError(`passkey ${text(row, 'id')}: unknown device type ${value}`);
  return value;
}

function transports(row: Row): string[] {
  const parsed: unknown = JSON.parse(text(row, 'transports'));
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new TypeError(`passkey ${text(row, 'id')}: transports is not a JSON array of strings`);
  }
  return parsed;
}

function toPasskey(row: Row): Passkey {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    publicKey: text(row, 'public_key'),
    counter: integer(row, 'counter'),
    transports: transports(row),
    deviceType: deviceType(row),
    backedUp: integer(row, 'backed_up') === 1,
    name: text(row, 'name'),
    createdAt: date(row, 'created_at'),
    lastUsedAt: dateOrNull(row, 'last_used_at'),
  };
}

export class SqlitePasskeysRepository implements PasskeysRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly listStmt;
  private readonly countStmt;
  private readonly recordUseStmt;
  private readonly renameStmt;
  private readonly deleteStmt;

  constructor(db: DatabaseSync) {
    this.insertStmt = db.prepare(`INSERT INTO passkeys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM passkeys WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM passkeys WHERE account_id = ? ORDER BY created_at, id`);
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM passkeys WHERE account_id = ?');
    // One statement: the comparison and the write cannot be split by a concurrent sign-in (0 changes: refused).
    // 0 after 0 passes: an authenticator without a counter always reports 0.
    this.recordUseStmt = db.prepare(
      'UPDATE passkeys SET counter = :counter, last_used_at = :at WHERE id = :id AND (counter < :counter OR (counter = 0 AND :counter = 0))',
    );
    this.renameStmt = db.prepare('UPDATE passkeys SET name = ? WHERE id = ? AND account_id = ?');
    this.deleteStmt = db.prepare('DELETE FROM passkeys WHERE id = ? AND account_id = ?');
  }

  async create(passkey: Passkey): Promise<void> {
    try {
      this.insertStmt.run(
        passkey.id,
        passkey.accountId,
        passkey.publicKey,
        passkey.counter,
        JSON.stringify(passkey.transports),
        passkey.deviceType,
        passkey.backedUp ? 1 : 0,
        passkey.name,
        passkey.createdAt.getTime(),
        passkey.lastUsedAt === null ? null : passkey.lastUsedAt.getTime(),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', `Passkey ${passkey.id} already exists`, { cause: error });
      throw error;
    }
  }

  async find(id: string): Promise<Passkey | undefined> {
    const row = this.findStmt.get(id);
    return row ? toPasskey(row) : undefined;
  }

  async listByAccount(accountId: string): Promise<Passkey[]> {
    return this.listStmt.all(accountId).map(toPasskey);
  }

  async countByAccount(accountId: string): Promise<number> {
    const row = this.countStmt.get(accountId);
    return row ? integer(row, 'n') : 0;
  }

  async recordUse(id: string, counter: number, at: Date): Promise<boolean> {
    return Number(this.recordUseStmt.run({ counter, at: at.getTime(), id }).changes) === 1;
  }

  async rename(id: string, accountId: string, name: string): Promise<boolean> {
    return Number(this.renameStmt.run(name, id, accountId).changes) === 1;
  }

  async delete(id: string, accountId: string): Promise<boolean> {
    return Number(this.deleteStmt.run(id, accountId).changes) === 1;
  }
}
