// SQLite one-time codes: every state change is a single conditional statement, so it is atomic on its own.
import type { DatabaseSync } from 'node:sqlite';
import type { CodePurpose, CodesRepository, OneTimeCode } from '../../server/domain/codes/codes.repository.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';
import { sweepInSlices } from './sweep-in-slices.ts';

function parseData(json: string | null): Record<string, string> | null {
  if (json === null) return null;
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('code data: expected a JSON object');
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') data[key] = value;
  }
  return data;
}

function toCode(row: Row, purpose: CodePurpose): OneTimeCode {
  return {
    purpose,
    subject: text(row, 'subject'),
    codeHash: text(row, 'code_hash'),
    attempts: integer(row, 'attempts'),
    expiresAt: date(row, 'expires_at'),
    consumedAt: dateOrNull(row, 'consumed_at'),
    sentAt: date(row, 'sent_at'),
    data: parseData(textOrNull(row, 'data')),
  };
}

export class SqliteCodesRepository implements CodesRepository {
  private readonly putStmt;
  private readonly findStmt;
  private readonly failureStmt;
  private readonly consumeStmt;
  private readonly deleteStmt;
  private readonly sweepStmt;

  constructor(db: DatabaseSync) {
    // INSERT OR REPLACE drops the old row whole: attempts and consumption reset with the new code.
    this.putStmt = db.prepare(
      `INSERT OR REPLACE INTO one_time_codes (purpose, subject, code_hash, attempts, expires_at, consumed_at, sent_at, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.findStmt = db.prepare(
      'SELECT subject, code_hash, attempts, expires_at, consumed_at, sent_at, data FROM one_time_codes WHERE purpose = ? AND subject = ?',
    );
    this.failureStmt = db.prepare('UPDATE one_time_codes SET attempts = attempts + 1 WHERE purpose = ? AND subject = ? RETURNING attempts');
    this.consumeStmt = db.prepare(
      `UPDATE one_time_codes SET consumed_at = ?
       WHERE purpose = ? AND subject = ? AND consumed_at IS NULL AND code_hash = ? AND attempts < ? AND expires_at > ?`,
    );
    this.deleteStmt = db.prepare('DELETE FROM one_time_codes WHERE purpose = ? AND subject = ?');
    // A slice at a time (sweep-in-slices.ts); codes sent to strangers' addresses and numbers are swept here too.
    this.sweepStmt = db.prepare('DELETE FROM one_time_codes WHERE rowid IN (SELECT rowid FROM one_time_codes WHERE expires_at < ? LIMIT ?)');
  }

  async sweepExpired(before: Date): Promise<number> {
    return sweepInSlices((limit) => Number(this.sweepStmt.run(before.getTime(), limit).changes));
  }

  async put(code: OneTimeCode): Promise<void> {
    this.putStmt.run(
      code.purpose,
      code.subject,
      code.codeHash,
      code.attempts,
      code.expiresAt.getTime(),
      code.consumedAt === null ? null : code.consumedAt.getTime(),
      code.sentAt.getTime(),
      code.data === null ? null : JSON.stringify(code.data),
    );
  }

  async find(purpose: CodePurpose, subject: string): Promise<OneTimeCode | undefined> {
    // Expired codes are returned on purpose: the caller tells "expired" apart from "wrong".
    const row = this.findStmt.get(purpose, subject);
    return row ? toCode(row, purpose) : undefined;
  }

  async recordFailure(purpose: CodePurpose, subject: string): Promise<number> {
    const row = this.failureStmt.get(purpose, subject);
    return row ? integer(row, 'attempts') : 0;
  }

  async consume(purpose: CodePurpose, subject: string, codeHash: string, maxAttempts: number, now: Date): Promise<boolean> {
    const result = this.consumeStmt.run(now.getTime(), purpose, subject, codeHash, maxAttempts, now.getTime());
    return Number(result.changes) === 1;
  }

  async delete(purpose: CodePurpose, subject: string): Promise<void> {
    this.deleteStmt.run(purpose, subject);
  }
}
