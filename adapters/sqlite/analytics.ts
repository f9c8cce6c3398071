// SQLite analytics rollups: each round reads uncounted events, applies their increments and marks them counted
// in one BEGIN IMMEDIATE transaction, so a crash leaves either all of a round or none of it.
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { Adoption, AnalyticsRepository, CounterRow } from '../../server/domain/analytics/analytics.repository.ts';
import { dimsKey, rollupOps, type Dimensions } from '../../server/domain/analytics/rollup-rules.ts';
import { eventIdBound, type DomainEvent } from '../../server/domain/events/domain-event.ts';
import type { EventType } from '../../server/domain/events/event-types.ts';
import { immediateTransaction } from './database.ts';
import { COLUMNS, toEvent } from './events.ts';
import { integer, jsonObject, text } from './rows.ts';

export class SqliteAnalyticsRepository implements AnalyticsRepository {
  private readonly db: DatabaseSync;
  private readonly stmts;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.stmts = {
      uncounted: db.prepare(`SELECT ${COLUMNS} FROM events WHERE counted_at IS NULL ORDER BY id LIMIT ?`),
      markCounted: db.prepare('UPDATE events SET counted_at = ? WHERE id = ?'),
      mark: db.prepare('INSERT INTO analytics_marks (key, member_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING'),
      // A mark past its expiry counts as absent even before the sweep removes it.
      hasMark: db.prepare('SELECT 1 AS found FROM analytics_marks WHERE key = ? AND expires_at > ?'),
      add: db.prepare('INSERT INTO analytics_counters (metric, t, dims, value) VALUES (?, ?, ?, ?) ON CONFLICT (metric, t, dims) DO UPDATE SET value = value + excluded.value'),
      counters: db.prepare('SELECT metric, t, dims, value FROM analytics_counters WHERE metric = ? AND t >= ? AND t < ? ORDER BY t'),
    };
  }

  async rollUp(limit: number): Promise<number> {
    return immediateTransaction(this.db, () => {
      const events = this.stmts.uncounted.all(limit).map(toEvent);
      const totals = new Map<string, { metric: string; t: number; dims: string; value: number }>();
      for (const event of events) {
        const at = event.time.getTime();
        for (const op of rollupOps(event)) {
          if (op.kind === 'mark') {
            this.stmts.mark.run(op.key, op.memberId, op.until);
            continue;
          }
          if (op.requires !== undefined && !this.stmts.hasMark.get(op.requires, at)) continue;
          if (op.once !== undefined && Number(this.stmts.mark.run(op.once.key, op.memberId, op.once.until).changes) === 0) continue;
          const dims = dimsKey(op.dims);
          const key = `${op.metric}|${op.t}|${dims}`;
          const total = totals.get(key);
          if (total) total.value += op.value;
          else totals.set(key, { metric: op.metric, t: op.t, dims, value: op.value });
        }
      }
      for (const total of totals.values()) this.stmts.add.run(total.metric, total.t, total.dims, total.value);
      const now = Date.now();
      for (const event of events) this.stmts.markCounted.run(now, event.id);
      return events.length;
    });
  }

  async counters(query: { metric: string; from: Date; to: Date }): Promise<CounterRow[]> {
    return this.stmts.counters.all(query.metric, query.from.getTime(), query.to.getTime()).map((row) => ({
      metric: text(row, 'metric'), t: new Date(integer(row, 't')), dims: jsonObject(row, 'dims') as Dimensions, value: integer(row, 'value'),
    }));
  }

  async prune(before: Date, now: Date): Promise<number> {
    return immediateTransaction(this.db, () => {
      const counters = Number(this.db.prepare('DELETE FROM analytics_counters WHERE t < ?').run(before.getTime()).changes);
      const marks = Number(this.db.prepare('DELETE FROM analytics_marks WHERE expires_at <= ?').run(now.getTime()).changes);
      return counters + marks;
    });
  }

  async adoption(): Promise<Adoption> {
    // Each count walks one index (factors and passkeys by account id; accounts' phone index holds verified numbers only).
    const row = this.db.prepare(`SELECT
        (SELECT COUNT(*) FROM accounts) AS members,
        (SELECT COUNT(DISTINCT account_id) FROM factors WHERE confirmed_at IS NOT NULL) AS app,
        (SELECT COUNT(DISTINCT account_id) FROM passkeys) AS passkey,
        (SELECT COUNT(*) FROM accounts WHERE phone IS NOT NULL) AS phone`).get();
    if (!row) throw new Error('adoption query returned no row');
    return { members: integer(row, 'members'), app: integer(row, 'app'), passkey: integer(row, 'passkey'), phone: integer(row, 'phone') };
  }

  async exportPage(query: { from: Date; to: Date; after: string | undefined; types: readonly EventType[] | undefined; limit: number }): Promise<DomainEvent[]> {
    // Ids are UUIDv7: the time range is an id range (the primary key), and `after` continues it.
    const where = ['id >= ?', 'id < ?'];
    const params: SQLInputValue[] = [eventIdBound(query.from), eventIdBound(query.to)];
    if (query.after !== undefined) {
      where.push('id > ?');
      params.push(query.after);
    }
    if (query.types !== undefined && query.types.length > 0) {
      where.push(`type IN (${query.types.map(() => '?').join(', ')})`);
      params.push(...query.types);
    }
    params.push(query.limit);
    return this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params).map(toEvent);
  }
}
