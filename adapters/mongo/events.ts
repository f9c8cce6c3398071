// Mongo outbox without multi-document transactions: an event whose change is one document write is inserted
// `pending` (with a proof of its change) before that write and made `ready` after it; a crash in between is
// settled by recoverPending, which makes it ready if its change is there and deletes it if not. Ledger and
// audit events have ids derived from their change, so writing them again (a retry, a recovery) keeps one.
import { Buffer } from 'node:buffer';
import type { Model } from 'mongoose';
import { eventIdBound, type DomainEvent, type EventData } from '../../server/domain/events/domain-event.ts';
import type { EventsRepository } from '../../server/domain/events/events.repository.ts';
import { isEventType } from '../../server/domain/events/event-types.ts';
import { insertUnique } from './claims.ts';
import { isDuplicateKey } from './errors.ts';
import type { AccountDoc, EventDoc, Models, WorkerLeaseDoc } from './models.ts';

export function toDoc(event: DomainEvent, state: EventDoc['state'], proof: string | null): EventDoc {
  return { _id: event.id, type: event.type, time: event.time, memberId: event.memberId, data: JSON.stringify(event.data), state, proof, createdAt: new Date(), countedBy: 0 };
}

function toEvent(doc: EventDoc): DomainEvent {
  if (!isEventType(doc.type)) throw new TypeError(`event ${doc._id}: unknown type ${doc.type}`);
  return { id: doc._id, type: doc.type, time: doc.time, memberId: doc.memberId, data: JSON.parse(doc.data) as EventData };
}

/** Inserts events ready to relay; one already there (same derived id) is left as it is. */
export async function insertReadyEvents(model: Model<EventDoc>, events: readonly DomainEvent[]): Promise<void> {
  for (const event of events) await insertUnique(model, toDoc(event, 'ready', null));
}

/** The recoverable step: the event waits, unpublishable, until `confirmEvents` (or recovery, on `proof`). */
export async function insertPendingEvents(model: Model<EventDoc>, events: readonly DomainEvent[], proof: string): Promise<DomainEvent[]> {
  const inserted: DomainEvent[] = [];
  // Only the ones this call inserted are its to confirm or drop: an id already there belongs to another write.
  for (const event of events) if (await insertUnique(model, toDoc(event, 'pending', proof))) inserted.push(event);
  return inserted;
}

export async function confirmEvents(model: Model<EventDoc>, events: readonly DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await model.updateMany({ _id: { $in: events.map((e) => e.id) }, state: 'pending' }, { $set: { state: 'ready' } });
}

/** The change failed: its pending events go. */
export async function dropEvents(model: Model<EventDoc>, events: readonly DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await model.deleteMany({ _id: { $in: events.map((e) => e.id) }, state: 'pending' });
}

export type EventRepositoryModels = Pick<Models, 'events' | 'webhookDeliveries' | 'workerLeases' | 'accounts' | 'loyaltyMembers' | 'profileFields' | 'consents' | 'purposeConsentReceipts'>;

export class MongoEventsRepository implements EventsRepository {
  private readonly models: EventRepositoryModels;

  constructor(models: EventRepositoryModels) {
    this.models = models;
  }

  async append(events: readonly DomainEvent[]): Promise<void> {
    await insertReadyEvents(this.models.events, events);
  }

  async unpublished(limit: number): Promise<DomainEvent[]> {
    const docs = await this.models.events.find({ state: 'ready' }).sort({ _id: 1 }).limit(limit).lean<EventDoc[]>().exec();
    return docs.map(toEvent);
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.models.events.updateMany({ _id: { $in: [...ids] }, state: 'ready' }, { $set: { state: 'published' } });
  }

  async listByTime(range: { from: Date; to: Date; limit: number }): Promise<DomainEvent[]> {
    // Ids start with their millisecond (UUIDv7): the time range is an _id range.
    const docs = await this.models.events.find({ _id: { $gte: eventIdBound(range.from), $lt: eventIdBound(range.to) }, state: { $ne: 'pending' } })
      .sort({ _id: 1 }).limit(range.limit).lean<EventDoc[]>().exec();
    return docs.map(toEvent);
  }

  async findMany(ids: readonly string[]): Promise<DomainEvent[]> {
    if (ids.length === 0) return [];
    const docs = await this.models.events.find({ _id: { $in: [...ids] }, state: { $ne: 'pending' } }).lean<EventDoc[]>().exec();
    return docs.map(toEvent);
  }

  async forgetMember(memberId: string): Promise<number> {
    // member.deleted stays: it is the erasure's own announcement, written with it (and holds nothing else).
    const ids = (await this.models.events.find({ memberId, type: { $ne: 'member.deleted' } }, { _id: 1 }).lean<Array<{ _id: string }>>().exec()).map((doc) => doc._id);
    if (ids.length === 0) return 0;
    // Deliveries first: a crash in between leaves events that the next erasure run removes, never orphans.
    await this.models.webhookDeliveries.deleteMany({ eventId: { $in: ids } }).exec();
    // The analytics' distinct-member marks name the member too (the counters they fed name nobody).
    await this.models.events.db.collection('analytics_marks').deleteMany({ memberId });
    return (await this.models.events.deleteMany({ _id: { $in: ids } }).exec()).deletedCount;
  }

  async deleteSettledBefore(before: Date, options: { counted: boolean; limit: number }): Promise<number> {
    // countedBy is only a hint on FerretDB (adapters/mongo/analytics.ts): a lost mark keeps the event, never the reverse.
    const filter = { _id: { $lt: eventIdBound(before) }, state: 'published' as const, ...(options.counted ? { countedBy: { $ne: 0 } } : {}) };
    const candidates = (await this.models.events.find(filter, { _id: 1 }).sort({ _id: 1 }).limit(options.limit).lean<Array<{ _id: string }>>().exec()).map((doc) => doc._id);
    if (candidates.length === 0) return 0;
    const waiting = new Set((await this.models.webhookDeliveries.find({ eventId: { $in: candidates }, status: 'pending' }, { eventId: 1 }).lean<Array<{ eventId: string }>>().exec()).map((doc) => doc.eventId));
    const ids = candidates.filter((id) => !waiting.has(id));
    if (ids.length === 0) return 0;
    // Deliveries first, as forgetMember does: a crash in between leaves events the next run removes, never orphans.
    await this.models.webhookDeliveries.deleteMany({ eventId: { $in: ids }, status: { $ne: 'pending' } }).exec();
    return (await this.models.events.deleteMany({ _id: { $in: ids } }).exec()).deletedCount;
  }

  async backlog(): Promise<number> {
    return this.models.events.countDocuments({ state: { $in: ['pending', 'ready'] } }).exec();
  }

  async lease(name: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const leases = this.models.workerLeases;
    const held = await leases.findById(name).lean<WorkerLeaseDoc>().exec();
    if (held?.owner === owner) {
      await leases.updateOne({ _id: name, owner }, { $set: { until } });
      return true;
    }
    if (held && held.until.getTime() > now.getTime()) return false;
    // Free or expired: the expired holder's document goes (only that one: the filter names it), then the
    // unique insert decides between contenders, the one write FerretDB makes atomic against a twin.
    if (held) await leases.deleteOne({ _id: name, owner: held.owner, until: held.until });
    try {
      return await insertUnique(leases, { _id: name, owner, until });
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async release(name: string, owner: string): Promise<void> {
    await this.models.workerLeases.deleteOne({ _id: name, owner });
  }

  async recoverPending(olderThan: Date): Promise<number> {
    const stale = await this.models.events.find({ state: 'pending', createdAt: { $lt: olderThan } }).limit(500).lean<EventDoc[]>().exec();
    let settled = 0;
    for (const doc of stale) {
      const committed = await this.proven(doc.proof ?? '');
      const result = committed
        ? await this.models.events.updateOne({ _id: doc._id, state: 'pending' }, { $set: { state: 'ready' } })
        : await this.models.events.deleteOne({ _id: doc._id, state: 'pending' });
      settled += 'modifiedCount' in result ? result.modifiedCount : result.deletedCount;
    }
    return settled;
  }

  /** Whether the change a pending event describes is in the store. */
  private async proven(proof: string): Promise<boolean> {
    const [kind, id = '', value] = proof.split(':');
    switch (kind) {
      case 'member':
        return (await this.models.loyaltyMembers.exists({ _id: id, memberNumber: value }).exec()) !== null;
      case 'email_verified':
        return (await this.models.accounts.findById(id).lean<AccountDoc>().exec())?.emailVerified === true;
      case 'profile':
        return (await this.models.profileFields.exists({ accountId: id, updatedAt: new Date(Number(value)) }).exec()) !== null;
      case 'phone':
        return (await this.models.accounts.findById(id).lean<AccountDoc>().exec())?.phone === value;
      case 'withdrawn':
        // "Stop sharing" (app-sharing.ts): done once the member's consent memory for the client is gone. The id is
        // the consent's _id (which holds colons) in base64url.
        return (await this.models.consents.exists({ _id: Buffer.from(id, 'base64url').toString() }).exec()) === null;
      case 'consent_receipt':
        // Purpose consents: the receipt is written last of its change (purpose-consents.ts).
        return (await this.models.purposeConsentReceipts.exists({ _id: id }).exec()) !== null;
      default:
        return false;
    }
  }
}
