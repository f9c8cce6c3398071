// Mongo documents and schemas of the outbox, worker leases, webhook subscriptions and their deliveries.
import { Schema, type Connection, type Model } from 'mongoose';
import { givenString, nullableDate, nullableString, options } from './schema-kit.ts';

/**
 * One outbox event. `state`: `pending` while the change it describes may not have been written yet (the
 * recoverable step: recovery checks `proof` and makes it ready or deletes it), `ready` to relay, `published`.
 */
export interface EventDoc {
  _id: string;
  type: string;
  time: Date;
  memberId: string | null;
  /** JSON text: the store never sees the payload's field names. */
  data: string;
  state: 'pending' | 'ready' | 'published';
  /** For a pending event: what shows that its change committed (`member:<id>:<number>`, `email_verified:<id>`, `phone:<id>:<number>`, `profile:<id>:<ms>`). */
  proof: string | null;
  createdAt: Date;
  /** The analytics batch that counted it; 0 until counted (adapters/mongo/analytics.ts). */
  countedBy: number;
}

export interface WorkerLeaseDoc {
  _id: string;
  owner: string;
  until: Date;
}

export interface WebhookDoc {
  _id: string;
  url: string;
  events: string[];
  partnerId: string | null;
  secret: string;
  previousSecret: string | null;
  previousUntil: Date | null;
  createdAt: Date;
}

export interface DeliveryDoc {
  _id: string;
  webhookId: string;
  eventId: string;
  lane: string;
  status: 'pending' | 'delivered' | 'dead';
  /** JSON text of the kept attempts. */
  attempts: string;
  nextAt: Date;
  /** Absent on deliveries written before rounds existed: read as 0. */
  round?: number;
  createdAt: Date;
}

const eventSchema = new Schema<EventDoc>({
  _id: givenString('_id'),
  type: { type: String, required: true },
  time: { type: Date, required: true },
  memberId: nullableString,
  data: { type: String, required: true },
  state: { type: String, required: true },
  proof: nullableString,
  createdAt: { type: Date, required: true },
  countedBy: { type: Number, default: 0 },
}, options);

const leaseSchema = new Schema<WorkerLeaseDoc>({
  _id: givenString('_id'),
  owner: { type: String, required: true },
  until: { type: Date, required: true },
}, options);

const webhookSchema = new Schema<WebhookDoc>({
  _id: givenString('_id'),
  url: { type: String, required: true },
  events: { type: [String], required: true },
  partnerId: nullableString,
  secret: { type: String, required: true },
  previousSecret: nullableString,
  previousUntil: nullableDate,
  createdAt: { type: Date, required: true },
}, options);

const deliverySchema = new Schema<DeliveryDoc>({
  _id: givenString('_id'),
  webhookId: { type: String, required: true },
  eventId: { type: String, required: true },
  lane: givenString('lane'),
  status: { type: String, required: true },
  attempts: { type: String, required: true },
  nextAt: { type: Date, required: true },
  round: { type: Number, default: 0 },
  createdAt: { type: Date, required: true },
}, options);

export interface EventModels {
  events: Model<EventDoc>;
  workerLeases: Model<WorkerLeaseDoc>;
  webhooks: Model<WebhookDoc>;
  webhookDeliveries: Model<DeliveryDoc>;
}

export function registerEventModels(connection: Connection): EventModels {
  return {
    events: connection.model<EventDoc>('OutboxEvent', eventSchema, 'events'),
    workerLeases: connection.model<WorkerLeaseDoc>('WorkerLease', leaseSchema, 'worker_leases'),
    webhooks: connection.model<WebhookDoc>('Webhook', webhookSchema, 'webhooks'),
    webhookDeliveries: connection.model<DeliveryDoc>('WebhookDelivery', deliverySchema, 'webhook_deliveries'),
  };
}
