// SQLite outbox: `insertEvents` is called inside the writing repository's transaction (same connection and
// file), so an event exists exactly when its change committed; the repository below serves the relay.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { eventIdBound, type DomainEvent, type EventData } from '../../server/domain/events/domain-event.ts';
import type { EventsRepository } from '../../server/domain/events/events.repository.ts';
import { isEventType } from '../../server/domain/events/event-types.ts';
import { immediateTransaction } from './database.ts';
import { date, integer, jsonObject, text, textOrNull, type Row } from './rows.ts';

export const COLUMNS = 'id, type, time, member_id, data';

/** One prepared insert per connection: it runs inside every sign-in's and every post's transaction. */
const inserts = new WeakMap<DatabaseSync, StatementSync>();

/** Writes events on `db` (the caller's open transaction, if any); an id already there is kept (a replayed change). */
export function insertEvents(db: DatabaseSync, events: readonly DomainEvent[]): void {
  if (events.length === 0) return;
  let insert = inserts.get(db);
  if (!insert) {
    insert = db.prepare(`INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
    inserts.set(db, insert);
  }
  for (const event of events) insert.run(event.id, event.type, event.time.getTime(), event.memberId, JSON.stringify(event.data));
}

export function toEvent(row: Row): DomainEvent {
  const type = text(row, 'type');
  if (!isEventType(type)) throw new TypeError(`event ${text(row, 'id')}: unknown type ${type}`);
  return { id: text(row, 'id'), type, time: date(row, 'time'), memberId: textOrNull(row, 'member_id'), data: jsonObject(row, 'data') as EventData };
}

export class SqliteEventsRepository implements EventsRepository {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  async forgetMember(memberId: string): Promise<number> {
    return immediateTransaction(this.db, () => {
      // member.deleted stays: it is the erasure's own announcement, written with it (and holds nothing else).
      this.db.prepare("DELETE FROM webhook_deliveries WHERE event_id IN (SELECT id FROM events WHERE member_id = ? AND type <> 'member.deleted')").run(memberId);
      // The analytics' distinct-member marks name the member too (the counters they fed name nobody).
      this.db.prepare('DELETE FROM analytics_marks WHERE member_id = ?').run(memberId);
      return Number(this.db.prepare("DELETE FROM events WHERE member_id = ? AND type <> 'member.deleted'").run(memberId).changes);
    });
  }

  async deleteSettledBefore(before: Date, options: { counted: boolean; limit: number }): Promise<number> {
    return immediateTransaction(this.db, () => {
      // Ids are time-first (UUIDv7): "before" is a primary-key range.
      const ids = this.db.prepare(`SELECT id FROM events e WHERE id < ? AND published_at IS NOT NULL ${options.counted ? 'AND counted_at IS NOT NULL' : ''}
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
        ORDER BY id LIMIT ?`).all(eventIdBound(before), options.limit).map((row) => text(row, 'id'));
      const deliveries = this.db.prepare('DELETE FROM webhook_deliveries WHERE event_id = ?');
      const event = this.db.prepare('DELETE FROM events WHERE id = ?');
      for (const id of ids) {
        deliveries.run(id);
        event.run(id);
      }
      return ids.length;
    });
  }

  async append(events: readonly DomainEvent[]): Promise<void> {
    immediateTransaction(this.db, () => insertEvents(this.db, events));
  }

  async unpublished(limit: number): Promise<DomainEvent[]> {
    return this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE published_at IS NULL ORDER BY id LIMIT ?`).all(limit).map(toEvent);
  }

  async markPublished(ids: readonly string[], at: Date): Promise<void> {
    const mark = this.db.prepare('UPDATE events SET published_at = ? WHERE id = ? AND published_at IS NULL');
    immediateTransaction(this.db, () => {
      for (const id of ids) mark.run(at.getTime(), id);
    });
  }

  async listByTime(range: { from: Date; to: Date; limit: number }): Promise<DomainEvent[]> {
    return this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`)
      .all(eventIdBound(range.from), eventIdBound(range.to), range.limit).map(toEvent);
  }

  async findMany(ids: readonly string[]): Promise<DomainEvent[]> {
    if (ids.length === 0) return [];
    return this.db.prepare(`SELECT ${COLUMNS} FROM events WHERE id IN (${ids.map(() => '?').join(', ')})`).all(...ids).map(toEvent);
  }

  async backlog(): Promise<number> {
    const row = this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE published_at IS NULL').get();
    return row ? integer(row, 'n') : 0;
  }

  async lease(name: string, owner: string, now: Date, until: Date): Promise<boolean> {
    // BEGIN IMMEDIATE: of processes racing for an expired lease, one takes it; the others then see it held.
    return immediateTransaction(this.db, () => {
      const row = this.db.prepare('SELECT owner, until FROM worker_leases WHERE name = ?').get(name);
      if (row && text(row, 'owner') !== owner && integer(row, 'until') > now.getTime()) return false;
      this.db.prepare('INSERT INTO worker_leases (name, owner, until) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until')
        .run(name, owner, until.getTime());
      return true;
    });
  }

  async recoverPending(): Promise<number> {
    // An event is written in its change's transaction: a crash rolls both back, nothing is left half-done.
    return 0;
  }

  async release(name: string, owner: string): Promise<void> {
    this.db.prepare('DELETE FROM worker_leases WHERE name = ? AND owner = ?').run(name, owner);
  }
}
