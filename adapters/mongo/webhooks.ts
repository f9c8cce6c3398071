// Mongo webhook subscriptions and delivery queue. Lane heads are found in memory from the oldest pending
// deliveries (FerretDB has no NOT EXISTS): a prefix of the pending queue in event order holds each lane's head.
import type { Model } from 'mongoose';
import type { Delivery, DeliveryAttempt, DeliveryStatus, NewDelivery, Webhook, WebhooksRepository } from '../../server/domain/events/webhooks.repository.ts';
import { insertUnique } from './claims.ts';
import type { DeliveryDoc, Models, WebhookDoc } from './models.ts';

/** Pending deliveries read per look for lane heads; lanes behind this many others wait for the next look. */
const HEAD_WINDOW = 1000;
const MAX_KEPT_ATTEMPTS = 25;

type StoredAttempt = { at: number; status: number | null; error: string | null; response: string | null };

function toWebhook(doc: WebhookDoc): Webhook {
  return {
    id: doc._id, url: doc.url, events: [...doc.events], partnerId: doc.partnerId ?? null, secret: doc.secret,
    previousSecret: doc.previousSecret ?? null, previousUntil: doc.previousUntil ?? null, createdAt: doc.createdAt,
  };
}

function toDelivery(doc: DeliveryDoc): Delivery {
  return {
    id: doc._id, webhookId: doc.webhookId, eventId: doc.eventId, lane: doc.lane, status: doc.status,
    attempts: (JSON.parse(doc.attempts) as StoredAttempt[]).map((a) => ({ ...a, at: new Date(a.at) })),
    nextAt: doc.nextAt, round: doc.round ?? 0, createdAt: doc.createdAt,
  };
}

function newDoc(d: NewDelivery, now: Date): DeliveryDoc {
  return { _id: `${d.webhookId}:${d.eventId}`, webhookId: d.webhookId, eventId: d.eventId, lane: d.lane, status: 'pending', attempts: '[]', nextAt: now, round: 0, createdAt: now };
}

export class MongoWebhooksRepository implements WebhooksRepository {
  private readonly webhooks: Model<WebhookDoc>;
  private readonly deliveries: Model<DeliveryDoc>;

  constructor(models: Pick<Models, 'webhooks' | 'webhookDeliveries'>) {
    this.webhooks = models.webhooks;
    this.deliveries = models.webhookDeliveries;
  }

  async create(webhook: Webhook): Promise<void> {
    const { id, ...rest } = webhook;
    await this.webhooks.create({ _id: id, ...rest });
  }

  async find(id: string): Promise<Webhook | undefined> {
    const doc = await this.webhooks.findById(id).lean<WebhookDoc>().exec();
    return doc ? toWebhook(doc) : undefined;
  }

  async list(): Promise<Webhook[]> {
    const docs = await this.webhooks.find({}).sort({ createdAt: 1, _id: 1 }).lean<WebhookDoc[]>().exec();
    return docs.map(toWebhook);
  }

  async delete(id: string): Promise<boolean> {
    const { deletedCount } = await this.webhooks.deleteOne({ _id: id });
    await this.deliveries.deleteMany({ webhookId: id });
    return deletedCount > 0;
  }

  async rotateSecret(id: string, secret: string, previousSecret: string, previousUntil: Date): Promise<boolean> {
    const { matchedCount } = await this.webhooks.updateOne({ _id: id }, { $set: { secret, previousSecret, previousUntil } });
    return matchedCount > 0;
  }

  async enqueue(deliveries: readonly NewDelivery[], now: Date): Promise<void> {
    for (const d of deliveries) await insertUnique(this.deliveries, newDoc(d, now));
  }

  async due(now: Date, limit: number): Promise<Delivery[]> {
    const pending = await this.deliveries.find({ status: 'pending' }).sort({ eventId: 1 }).limit(HEAD_WINDOW).lean<DeliveryDoc[]>().exec();
    const seen = new Set<string>();
    const due: Delivery[] = [];
    for (const doc of pending) {
      const lane = `${doc.webhookId.length}:${doc.webhookId}:${doc.lane}`;
      if (seen.has(lane)) continue;
      seen.add(lane);
      if (doc.nextAt.getTime() <= now.getTime()) due.push(toDelivery(doc));
      if (due.length >= limit) break;
    }
    return due;
  }

  async recordAttempt(delivery: Pick<Delivery, 'id' | 'round'>, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAt: Date }): Promise<void> {
    const doc = await this.deliveries.findById(delivery.id).lean<DeliveryDoc>().exec();
    if (!doc) return;
    const attempts = JSON.stringify([...(JSON.parse(doc.attempts) as StoredAttempt[]), { ...attempt, at: attempt.at.getTime() }].slice(-MAX_KEPT_ATTEMPTS));
    // The state only for the round the attempt started in (a missing round is round 0); a replay since keeps its own.
    const sameRound = delivery.round === 0 ? { $in: [0, null] } : delivery.round;
    const { matchedCount } = await this.deliveries.updateOne({ _id: delivery.id, round: sameRound }, { $set: { attempts, status: next.status, nextAt: next.nextAt } });
    if (matchedCount === 0) await this.deliveries.updateOne({ _id: delivery.id }, { $set: { attempts } });
  }

  async listDeliveries(webhookId: string, limit: number): Promise<Delivery[]> {
    const docs = await this.deliveries.find({ webhookId }).sort({ eventId: -1 }).limit(limit).lean<DeliveryDoc[]>().exec();
    return docs.map(toDelivery);
  }

  async findDelivery(id: string): Promise<Delivery | undefined> {
    const doc = await this.deliveries.findById(id).lean<DeliveryDoc>().exec();
    return doc ? toDelivery(doc) : undefined;
  }

  async requeue(deliveries: readonly NewDelivery[], now: Date): Promise<number> {
    for (const d of deliveries) {
      if (!(await insertUnique(this.deliveries, newDoc(d, now)))) {
        await this.deliveries.updateOne({ _id: `${d.webhookId}:${d.eventId}` }, { $set: { status: 'pending', nextAt: now }, $inc: { round: 1 } });
      }
    }
    return deliveries.length;
  }

  async pendingCount(): Promise<number> {
    return this.deliveries.countDocuments({ status: 'pending' }).exec();
  }
}
