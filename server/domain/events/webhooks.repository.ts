// Port: webhook subscriptions (sealed signing secrets, with the previous one kept during a rotation's overlap)
// and their per-subscription delivery queue (one row per subscription and event, in order per member).

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  /** Only this partner's members' events, with pairwise subjects; null: the whole program. */
  partnerId: string | null;
  /** Sealed at rest (server/security/crypto.ts); the service opens it to sign. */
  secret: string;
  /** The secret before the last rotation, which still signs alongside until `previousUntil`. */
  previousSecret: string | null;
  previousUntil: Date | null;
  createdAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DeliveryAttempt {
  at: Date;
  /** HTTP status, or null when no answer came (refused, timeout, connection error). */
  status: number | null;
  /** A short machine-readable reason when no 2xx came (http_500, timeout, special_use_address, ...). */
  error: string | null;
  /** The first bytes of the answer (bounded), for the operator debugging a receiver. */
  response: string | null;
}

export interface Delivery {
  /** `<webhookId>:<eventId>`: one per subscription and event, so relaying twice queues once. */
  id: string;
  webhookId: string;
  eventId: string;
  /** The lane kept in order: the member's id ('-' for events without one). */
  lane: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  nextAt: Date;
  /**
   * Bumped by every replay. An attempt records its outcome only for the round it started in, so a replay made
   * while an attempt is on the wire is not overwritten by that attempt's "delivered".
   */
  round: number;
  createdAt: Date;
}

export interface NewDelivery {
  webhookId: string;
  eventId: string;
  lane: string;
}

export interface WebhooksRepository {
  create(webhook: Webhook): Promise<void>;
  find(id: string): Promise<Webhook | undefined>;
  list(): Promise<Webhook[]>;
  /**
   * Deletes the webhook and every delivery of it, sent or not: its log is reachable only through the webhook, so
   * what stayed would be unreadable rows kept until the events' retention.
   */
  delete(id: string): Promise<boolean>;
  /** Replaces the secret, keeping the old one (sealed) as previous until `previousUntil`. */
  rotateSecret(id: string, secret: string, previousSecret: string, previousUntil: Date): Promise<boolean>;

  /** Queues deliveries, due now; one already queued for the same (webhook, event) is left alone. */
  enqueue(deliveries: readonly NewDelivery[], now: Date): Promise<void>;
  /**
   * Due pending deliveries that are first in their lane (no older pending delivery of the same webhook and
   * member), so each member's events arrive in order; at most one per lane.
   */
  due(now: Date, limit: number): Promise<Delivery[]>;
  /**
   * Records one attempt, and the delivery's next state (delivered, dead, or pending until nextAt) when no replay
   * came since `delivery` was read (its round is still the same); otherwise the replay's pending state stands.
   */
  recordAttempt(delivery: Pick<Delivery, 'id' | 'round'>, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAt: Date }): Promise<void>;
  /** Newest first. */
  listDeliveries(webhookId: string, limit: number): Promise<Delivery[]>;
  findDelivery(id: string): Promise<Delivery | undefined>;
  /** Sets deliveries pending and due now in a new round (a replay); creates the ones missing. */
  requeue(deliveries: readonly NewDelivery[], now: Date): Promise<number>;
  pendingCount(): Promise<number>;
}
