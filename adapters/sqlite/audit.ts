// SQLite audit log: one append-only table (migration 12), newest-first pages by (at, id) row values.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { assertValidAuditQuery, isAuditEventType } from '../../server/domain/audit/audit-rules.ts';
import type { AuditDetails, AuditEvent, AuditQuery, AuditRepository } from '../../server/domain/audit/audit.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { eventFromAudit } from '../../server/domain/events/domain-event.ts';
import { immediateTransaction, isUniqueViolation } from './database.ts';
import { insertEvents } from './events.ts';
import { date, jsonObject, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'id, type, at, account_id, ip, user_agent, country, reason, details';

/**
 * Rows removed per retention statement: node:sqlite blocks the event loop while a statement runs, so a large
 * backlog (retention shortened, or the first sweep after a long outage) is deleted in slices with a yield between.
 */
const DELETE_BATCH = 5000;

function toEvent(row: Row): AuditEvent {
  const type = text(row, 'type');
  if (!isAuditEventType(type)) throw new TypeError(`audit event ${text(row, 'id')}: unknown type ${type}`);
  return {
    id: text(row, 'id'),
    type,
    at: date(row, 'at'),
    accountId: textOrNull(row, 'account_id'),
    ip: textOrNull(row, 'ip'),
    userAgent: textOrNull(row, 'user_agent'),
    country: textOrNull(row, 'country'),
    reason: textOrNull(row, 'reason'),
    details: jsonObject(row, 'details') as AuditDetails,
  };
}

export class SqliteAuditRepository implements AuditRepository {
  private readonly db: DatabaseSync;
  private readonly insertStmt;
  private readonly deleteStmt;
  /** list() statements by the shape of their WHERE clause: a handful of shapes, each prepared once. */
  private readonly listStmts = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertStmt = db.prepare(`INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.deleteStmt = db.prepare('DELETE FROM audit_events WHERE rowid IN (SELECT rowid FROM audit_events WHERE at < ? LIMIT ?)');
  }

  async append(event: AuditEvent): Promise<void> {
    try {
      // Sign-ins, blocks and factor changes are domain events too: written in the audit row's transaction.
      const domainEvent = eventFromAudit(event);
      const insert = () => this.insertStmt.run(
        event.id, event.type, event.at.getTime(), event.accountId, event.ip, event.userAgent, event.country, event.reason,
        JSON.stringify(event.details),
      );
      if (domainEvent) {
        immediateTransaction(this.db, () => {
          insert();
          insertEvents(this.db, [domainEvent]);
        });
      } else {
        insert();
      }
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', `audit event ${event.id} already exists`, { cause: error });
      throw error;
    }
  }

  async list(query: AuditQuery): Promise<AuditEvent[]> {
    assertValidAuditQuery(query);
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.accountId !== undefined) {
      where.push('account_id = ?');
      params.push(query.accountId);
    }
    if (query.ip !== undefined) {
      where.push('ip = ?');
      params.push(query.ip);
    }
    if (query.country !== undefined) {
      where.push('country = ?');
      params.push(query.country);
    }
    if (query.types !== undefined) {
      // Deduplicated, so the statement cache holds at most one shape per count of distinct types.
      const types = [...new Set(query.types)];
      where.push(`type IN (${types.map(() => '?').join(', ')})`);
      params.push(...types);
    }
    if (query.from !== undefined) {
      where.push('at >= ?');
      params.push(query.from.getTime());
    }
    if (query.to !== undefined) {
      where.push('at < ?');
      params.push(query.to.getTime());
    }
    if (query.before !== undefined) {
      // A row-value comparison: one index range on (at, id), so a page never skips or repeats a tie on `at`.
      where.push('(at, id) < (?, ?)');
      params.push(query.before.at.getTime(), query.before.id);
    }
    const sql = `SELECT ${COLUMNS} FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
    let statement = this.listStmts.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.listStmts.set(sql, statement);
    }
    return (statement.all(...params, query.limit) as Row[]).map(toEvent);
  }

  async deleteBefore(before: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const changes = Number(this.deleteStmt.run(before.getTime(), DELETE_BATCH).changes);
      deleted += changes;
      if (changes < DELETE_BATCH) return deleted;
      await yieldToEventLoop();
    }
  }
}
