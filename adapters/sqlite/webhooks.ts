// SQLite webhook subscriptions and delivery queue; the lane query picks, per (webhook, member), only the oldest
// pending delivery, so a member's events are never delivered out of order.
import type { DatabaseSync } from 'node:sqlite';
import type { Delivery, DeliveryAttempt, DeliveryStatus, NewDelivery, Webhook, WebhooksRepository } from '../../server/domain/events/webhooks.repository.ts';
import { immediateTransaction } from './database.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';

const WEBHOOK_COLUMNS = 'id, url, events, partner_id, secret, previous_secret, previous_until, created_at';
const DELIVERY_COLUMNS = 'id, webhook_id, event_id, lane, status, attempts, next_at, created_at';
const READ_DELIVERY_COLUMNS = `${DELIVERY_COLUMNS}, round`;

function toWebhook(row: Row): Webhook {
  return {
    id: text(row, 'id'),
    url: text(row, 'url'),
    events: JSON.parse(text(row, 'events')) as string[],
    partnerId: textOrNull(row, 'partner_id'),
    secret: text(row, 'secret'),
    previousSecret: textOrNull(row, 'previous_secret'),
    previousUntil: dateOrNull(row, 'previous_until'),
    createdAt: date(row, 'created_at'),
  };
}

type StoredAttempt = { at: number; status: number | null; error: string | null; response: string | null };

function toDelivery(row: Row): Delivery {
  const attempts = (JSON.parse(text(row, 'attempts')) as StoredAttempt[]).map((a) => ({ ...a, at: new Date(a.at) }));
  return {
    id: text(row, 'id'),
    webhookId: text(row, 'webhook_id'),
    eventId: text(row, 'event_id'),
    lane: text(row, 'lane'),
    status: text(row, 'status') as DeliveryStatus,
    attempts,
    nextAt: date(row, 'next_at'),
    round: integer(row, 'round'),
    createdAt: date(row, 'created_at'),
  };
}

/** Attempts kept per delivery: the newest ones, so a receiver down for three days does not grow a row without bound. */
const MAX_KEPT_ATTEMPTS = 25;

export function deliveryId(delivery: NewDelivery): string {
  return `${delivery.webhookId}:${delivery.eventId}`;
}

export class SqliteWebhooksRepository implements WebhooksRepository {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  async create(webhook: Webhook): Promise<void> {
    this.db.prepare(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
      webhook.id, webhook.url, JSON.stringify(webhook.events), webhook.partnerId, webhook.secret, webhook.previousSecret,
      webhook.previousUntil?.getTime() ?? null, webhook.createdAt.getTime(),
    );
  }

  async find(id: string): Promise<Webhook | undefined> {
    const row = this.db.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?`).get(id);
    return row ? toWebhook(row) : undefined;
  }

  async list(): Promise<Webhook[]> {
    return this.db.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id`).all().map(toWebhook);
  }

  async delete(id: string): Promise<boolean> {
    return immediateTransaction(this.db, () => {
      this.db.prepare("DELETE FROM webhook_deliveries WHERE webhook_id = ?").run(id);
      return Number(this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes) > 0;
    });
  }

  async rotateSecret(id: string, secret: string, previousSecret: string, previousUntil: Date): Promise<boolean> {
    const result = this.db.prepare('UPDATE webhooks SET secret = ?, previous_secret = ?, previous_until = ? WHERE id = ?')
      .run(secret, previousSecret, previousUntil.getTime(), id);
    return Number(result.changes) > 0;
  }

  async enqueue(deliveries: readonly NewDelivery[], now: Date): Promise<void> {
    const insert = this.db.prepare(`INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, 'pending', '[]', ?, ?) ON CONFLICT (id) DO NOTHING`);
    immediateTransaction(this.db, () => {
      for (const d of deliveries) insert.run(deliveryId(d), d.webhookId, d.eventId, d.lane, now.getTime(), now.getTime());
    });
  }

  async due(now: Date, limit: number): Promise<Delivery[]> {
    // The head of each lane: the pending delivery with no older pending one for the same webhook and member.
    return this.db.prepare(`
      SELECT ${READ_DELIVERY_COLUMNS} FROM webhook_deliveries d
      WHERE d.status = 'pending' AND d.next_at <= ?
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
          WHERE e.status = 'pending' AND e.webhook_id = d.webhook_id AND e.lane = d.lane AND e.event_id < d.event_id)
      ORDER BY d.next_at, d.event_id LIMIT ?`).all(now.getTime(), limit).map(toDelivery);
  }

  async recordAttempt(delivery: Pick<Delivery, 'id' | 'round'>, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAt: Date }): Promise<void> {
    immediateTransaction(this.db, () => {
      const row = this.db.prepare('SELECT attempts, round FROM webhook_deliveries WHERE id = ?').get(delivery.id);
      if (!row) return;
      const attempts = JSON.stringify([...(JSON.parse(text(row, 'attempts')) as StoredAttempt[]), { ...attempt, at: attempt.at.getTime() }].slice(-MAX_KEPT_ATTEMPTS));
      if (integer(row, 'round') === delivery.round) {
        this.db.prepare('UPDATE webhook_deliveries SET attempts = ?, status = ?, next_at = ? WHERE id = ?').run(attempts, next.status, next.nextAt.getTime(), delivery.id);
      } else {
        this.db.prepare('UPDATE webhook_deliveries SET attempts = ? WHERE id = ?').run(attempts, delivery.id);
      }
    });
  }

  async listDeliveries(webhookId: string, limit: number): Promise<Delivery[]> {
    return this.db.prepare(`SELECT ${READ_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? ORDER BY event_id DESC LIMIT ?`)
      .all(webhookId, limit).map(toDelivery);
  }

  async findDelivery(id: string): Promise<Delivery | undefined> {
    const row = this.db.prepare(`SELECT ${READ_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?`).get(id);
    return row ? toDelivery(row) : undefined;
  }

  async requeue(deliveries: readonly NewDelivery[], now: Date): Promise<number> {
    const insert = this.db.prepare(`INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) VALUES (?, ?, ?, ?, 'pending', '[]', ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = 'pending', next_at = excluded.next_at, round = round + 1`);
    return immediateTransaction(this.db, () => {
      for (const d of deliveries) insert.run(deliveryId(d), d.webhookId, d.eventId, d.lane, now.getTime(), now.getTime());
      return deliveries.length;
    });
  }

  async pendingCount(): Promise<number> {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'").get();
    return row ? integer(row, 'n') : 0;
  }
}
