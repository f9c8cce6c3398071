// SQLite imported members: an import is one BEGIN IMMEDIATE transaction, and a claim one conditional UPDATE
// (… WHERE claimed_by IS NULL), so of concurrent claimers, in this process or another, exactly one changes the row.
import type { DatabaseSync } from 'node:sqlite';
import { assertValidImportedMember } from '../../server/domain/loyalty/imported-member-rules.ts';
import type { ClaimResult, ImportedMember, ImportedMembersRepository, ImportOutcome, NewImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import { immediateTransaction } from './database.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'card_number, name, email, phone, balance, imported_at, claimed_by, claimed_at';

export function toImportedMember(row: Row): ImportedMember {
  return {
    cardNumber: text(row, 'card_number'),
    name: text(row, 'name'),
    email: textOrNull(row, 'email'),
    phone: textOrNull(row, 'phone'),
    balance: integer(row, 'balance'),
    importedAt: date(row, 'imported_at'),
    claimedBy: textOrNull(row, 'claimed_by'),
    claimedAt: dateOrNull(row, 'claimed_at'),
  };
}

export class SqliteImportedMembersRepository implements ImportedMembersRepository {
  private readonly db: DatabaseSync;
  private readonly findStmt;
  private readonly insertStmt;
  private readonly updateUnclaimedStmt;
  private readonly claimStmt;

  /** `db` must be the synchronous=FULL connection: these records hold points. */
  constructor(db: DatabaseSync) {
    this.db = db;
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM imported_members WHERE card_number = ?`);
    this.insertStmt = db.prepare(`INSERT INTO imported_members (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`);
    this.updateUnclaimedStmt = db.prepare(
      'UPDATE imported_members SET name = ?, email = ?, phone = ?, balance = ?, imported_at = ? WHERE card_number = ? AND claimed_by IS NULL',
    );
    this.claimStmt = db.prepare(
      `UPDATE imported_members SET claimed_by = ?, claimed_at = ? WHERE card_number = ? AND claimed_by IS NULL RETURNING ${COLUMNS}`,
    );
  }

  async importMany(records: readonly NewImportedMember[]): Promise<ImportOutcome[]> {
    for (const record of records) assertValidImportedMember(record);
    const now = Date.now();
    // One write lock for the batch: a claim cannot slip between a row's look and its write.
    return immediateTransaction(this.db, () => records.map((record): ImportOutcome => {
      const values = [record.name, record.email, record.phone, record.balance, now] as const;
      if (Number(this.updateUnclaimedStmt.run(...values, record.cardNumber).changes) === 1) return 'updated';
      if (this.findStmt.get(record.cardNumber)) return 'claimed';
      this.insertStmt.run(record.cardNumber, ...values);
      return 'inserted';
    }));
  }

  async find(cardNumber: string): Promise<ImportedMember | undefined> {
    const row = this.findStmt.get(cardNumber);
    return row ? toImportedMember(row) : undefined;
  }

  async claim(cardNumber: string, accountId: string): Promise<ClaimResult> {
    const claimed = this.claimStmt.get(accountId, Date.now(), cardNumber);
    if (claimed) return { ok: true, record: toImportedMember(claimed), alreadyYours: false };
    const row = this.findStmt.get(cardNumber);
    if (!row) return { ok: false, reason: 'not_found' };
    const record = toImportedMember(row);
    return record.claimedBy === accountId ? { ok: true, record, alreadyYours: true } : { ok: false, reason: 'claimed' };
  }
}
