// Mongo analytics rollups without multi-document transactions: each round is a numbered batch. The batch is
// inserted first (pending), then claims its events (countedBy: batch, only events nobody claimed), then applies
// their increments with counter updates conditional on the batch number (a counter remembers the last batch it
// took), then is marked applied. A crash anywhere leaves a pending batch that the next round re-applies first;
// re-applying changes nothing already applied, so every event is counted once.
import type { Collection, Filter } from 'mongodb';
import type { Connection } from 'mongoose';
import type { AnalyticsRepository, CounterRow } from '../../server/domain/analytics/analytics.repository.ts';
import { dimsKey, rollupOps, type Dimensions } from '../../server/domain/analytics/rollup-rules.ts';
import { eventIdBound, type DomainEvent, type EventData } from '../../server/domain/events/domain-event.ts';
import { isEventType, type EventType } from '../../server/domain/events/event-types.ts';
import { isDuplicateKey } from './errors.ts';
import type { EventDoc } from './event-models.ts';

/** The outbox document as this consumer sees it: `countedBy` is the batch that counted it (absent: not yet). */
type CountedEventDoc = EventDoc & { countedBy?: number | null };

interface CounterDoc {
  _id: string;
  metric: string;
  t: Date;
  dims: string;
  value: number;
  /** The last batch applied to this counter: a batch re-applied after a crash finds it and adds nothing. */
  batch: number;
}

interface MarkDoc {
  _id: string;
  memberId: string | null;
  expiresAt: Date;
  /** The batch that inserted it: re-applying that batch still counts its `once` increments. */
  batch: number;
}

interface BatchDoc {
  _id: number;
  state: 'pending' | 'applied';
  createdAt: Date;
}

function toEvent(doc: EventDoc): DomainEvent {
  if (!isEventType(doc.type)) throw new TypeError(`event ${doc._id}: unknown type ${doc.type}`);
  return { id: doc._id, type: doc.type, time: doc.time, memberId: doc.memberId, data: JSON.parse(doc.data) as EventData };
}

const COUNTABLE: { $in: Array<EventDoc['state']> } = { $in: ['ready', 'published'] };

export class MongoAnalyticsRepository implements AnalyticsRepository {
  private readonly connection: Connection;

  private constructor(connection: Connection) {
    this.connection = connection;
  }

  static async open(connection: Connection): Promise<MongoAnalyticsRepository> {
    const repository = new MongoAnalyticsRepository(connection);
    // One index per call, as indexes.ts does. Uncounted events are `countedBy: null` (absent matches null).
    await repository.events().createIndex({ countedBy: 1, _id: 1 }, { name: 'countedBy_1__id_1' });
    await repository.counterDocs().createIndex({ metric: 1, t: 1 }, { name: 'metric_1_t_1' });
    await repository.marks().createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    await repository.marks().createIndex({ memberId: 1 }, { name: 'memberId_1' });
    await repository.batches().createIndex({ state: 1, _id: 1 }, { name: 'state_1__id_1' });
    return repository;
  }

  private db() {
    const db = this.connection.db;
    if (!db) throw new Error('MongoDB storage is not connected');
    return db;
  }

  private events(): Collection<CountedEventDoc> {
    return this.db().collection<CountedEventDoc>('events');
  }

  private counterDocs(): Collection<CounterDoc> {
    return this.db().collection<CounterDoc>('analytics_counters');
  }

  private marks(): Collection<MarkDoc> {
    return this.db().collection<MarkDoc>('analytics_marks');
  }

  private batches(): Collection<BatchDoc> {
    return this.db().collection<BatchDoc>('analytics_batches');
  }

  async rollUp(limit: number): Promise<number> {
    // A batch a crash left half-done is finished first: its counters must be ahead of any later batch's.
    for (const pending of await this.batches().find({ state: 'pending' }).sort({ _id: 1 }).toArray()) await this.apply(pending._id);
    const ids = (await this.events().find({ countedBy: null, state: COUNTABLE }, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(limit).toArray()).map((doc) => doc._id);
    if (ids.length === 0) return 0;
    const last = await this.batches().find({}).sort({ _id: -1 }).limit(1).next();
    const batch = (last?._id ?? 0) + 1;
    try {
      await this.batches().insertOne({ _id: batch, state: 'pending', createdAt: new Date() });
    } catch (error) {
      // Another process took this number (its lease expired under it): the next round starts from its batch.
      if (isDuplicateKey(error)) return 0;
      throw error;
    }
    // Claimed only if nobody counted them meanwhile: an event belongs to one batch.
    await this.events().updateMany({ _id: { $in: ids }, countedBy: null } as Filter<CountedEventDoc>, { $set: { countedBy: batch } });
    return this.apply(batch);
  }

  /** Applies a batch's increments (again, after a crash: idempotent) and marks it applied; returns its event count. */
  private async apply(batch: number): Promise<number> {
    const docs = await this.events().find({ countedBy: batch }).sort({ _id: 1 }).toArray();
    const totals = new Map<string, { metric: string; t: number; dims: string; value: number }>();
    for (const event of docs.map(toEvent)) {
      const at = event.time.getTime();
      for (const op of rollupOps(event)) {
        if (op.kind === 'mark') {
          await this.mark(op.key, op.memberId, op.until, batch);
          continue;
        }
        if (op.requires !== undefined && !(await this.marks().findOne({ _id: op.requires, expiresAt: { $gt: new Date(at) } }))) continue;
        if (op.once !== undefined && !(await this.mark(op.once.key, op.memberId, op.once.until, batch))) continue;
        const dims = dimsKey(op.dims);
        const key = `${op.metric}|${op.t}|${dims}`;
        const total = totals.get(key);
        if (total) total.value += op.value;
        else totals.set(key, { metric: op.metric, t: op.t, dims, value: op.value });
      }
    }
    for (const total of totals.values()) {
      const id = `${total.metric}|${total.t}|${total.dims}`;
      try {
        await this.counterDocs().updateOne(
          { _id: id, batch: { $lt: batch } },
          { $inc: { value: total.value }, $set: { batch, metric: total.metric, t: new Date(total.t), dims: total.dims } },
          { upsert: true },
        );
      } catch (error) {
        // The counter exists with this batch (or a later one) applied: nothing to add.
        if (!isDuplicateKey(error)) throw error;
      }
    }
    await this.batches().updateOne({ _id: batch }, { $set: { state: 'applied' } });
    return docs.length;
  }

  /** True when this batch holds the mark: inserted now, or inserted by this very batch before a crash. */
  private async mark(key: string, memberId: string | null, until: number, batch: number): Promise<boolean> {
    try {
      await this.marks().insertOne({ _id: key, memberId, expiresAt: new Date(until), batch });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return (await this.marks().findOne({ _id: key }))?.batch === batch;
    }
  }

  async counters(query: { metric: string; from: Date; to: Date }): Promise<CounterRow[]> {
    const docs = await this.counterDocs().find({ metric: query.metric, t: { $gte: query.from, $lt: query.to } }).sort({ t: 1 }).toArray();
    return docs.map((doc) => ({ metric: doc.metric, t: doc.t, dims: JSON.parse(doc.dims) as Dimensions, value: doc.value }));
  }

  async prune(before: Date, now: Date): Promise<number> {
    const counters = (await this.counterDocs().deleteMany({ t: { $lt: before } })).deletedCount;
    const marks = (await this.marks().deleteMany({ expiresAt: { $lte: now } })).deletedCount;
    // Applied batches are only numbers to continue from: the newest is kept.
    const newest = await this.batches().find({ state: 'applied' }).sort({ _id: -1 }).limit(1).next();
    const batches = newest ? (await this.batches().deleteMany({ state: 'applied', _id: { $lt: newest._id } })).deletedCount : 0;
    return counters + marks + batches;
  }

  async exportPage(query: { from: Date; to: Date; after: string | undefined; types: readonly EventType[] | undefined; limit: number }): Promise<DomainEvent[]> {
    const id: Record<string, string> = { $gte: eventIdBound(query.from), $lt: eventIdBound(query.to) };
    if (query.after !== undefined) id.$gt = query.after;
    const filter: Filter<CountedEventDoc> = { _id: id, state: { $ne: 'pending' } } as Filter<CountedEventDoc>;
    if (query.types !== undefined && query.types.length > 0) Object.assign(filter, { type: { $in: [...query.types] } });
    const docs = await this.events().find(filter).sort({ _id: 1 }).limit(query.limit).toArray();
    return docs.map(toEvent);
  }
}
