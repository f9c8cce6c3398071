// Mongo analytics rollups without multi-document transactions: each round is a numbered batch. The batch is
// inserted first (pending), then claims its events (a unique claim per event: only events nobody claimed), then applies
// their increments with counter updates conditional on the batch number (a counter remembers the last batch it
// took), then is marked applied. A crash anywhere leaves a pending batch that the next round re-applies first;
// re-applying changes nothing already applied, so every event is counted once.
import type { Collection, Filter } from 'mongodb';
import type { Connection } from 'mongoose';
import type { Adoption, AnalyticsRepository, CounterRow } from '../../server/domain/analytics/analytics.repository.ts';
import { dimsKey, rollupOps, type Dimensions } from '../../server/domain/analytics/rollup-rules.ts';
import { eventIdBound, type DomainEvent, type EventData } from '../../server/domain/events/domain-event.ts';
import { isEventType, type EventType } from '../../server/domain/events/event-types.ts';
import { isDuplicateKey } from './errors.ts';
import type { EventDoc } from './event-models.ts';


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

/** Which batch counts an event: the authoritative once-only record (its _id is the event id). */
interface ClaimDoc {
  _id: string;
  batch: number;
  createdAt: Date;
}

interface BatchDoc {
  /** `b` + the batch number zero-padded (string ids sort and match alike on MongoDB and FerretDB). */
  _id: string;
  seq: number;
  state: 'pending' | 'applied';
  createdAt: Date;
}

function toEvent(doc: EventDoc): DomainEvent {
  if (!isEventType(doc.type)) throw new TypeError(`event ${doc._id}: unknown type ${doc.type}`);
  return { id: doc._id, type: doc.type, time: doc.time, memberId: doc.memberId, data: JSON.parse(doc.data) as EventData };
}

const CLAIM_KEEP_MS = 24 * 60 * 60 * 1000;

function batchId(seq: number): string {
  return `b${String(seq).padStart(12, '0')}`;
}

const COUNTABLE: { $in: Array<EventDoc['state']> } = { $in: ['ready', 'published'] };

export class MongoAnalyticsRepository implements AnalyticsRepository {
  private readonly connection: Connection;

  private constructor(connection: Connection) {
    this.connection = connection;
  }

  static async open(connection: Connection): Promise<MongoAnalyticsRepository> {
    const repository = new MongoAnalyticsRepository(connection);
    // One index per call, as indexes.ts does. Uncounted events are `countedBy: 0` (the schema's default).
    await repository.events().createIndex({ countedBy: 1, _id: 1 }, { name: 'countedBy_1__id_1' });
    await repository.counterDocs().createIndex({ metric: 1, t: 1 }, { name: 'metric_1_t_1' });
    await repository.marks().createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    await repository.marks().createIndex({ memberId: 1 }, { name: 'memberId_1' });
    await repository.batches().createIndex({ state: 1, _id: 1 }, { name: 'state_1__id_1' });
    await repository.claims().createIndex({ batch: 1 }, { name: 'batch_1' });
    await repository.claims().createIndex({ createdAt: 1 }, { name: 'createdAt_1' });
    return repository;
  }

  private db() {
    const db = this.connection.db;
    if (!db) throw new Error('MongoDB storage is not connected');
    return db;
  }

  private events(): Collection<EventDoc> {
    return this.db().collection<EventDoc>('events');
  }

  private counterDocs(): Collection<CounterDoc> {
    return this.db().collection<CounterDoc>('analytics_counters');
  }

  private marks(): Collection<MarkDoc> {
    return this.db().collection<MarkDoc>('analytics_marks');
  }

  private claims(): Collection<ClaimDoc> {
    return this.db().collection<ClaimDoc>('analytics_claims');
  }

  private batches(): Collection<BatchDoc> {
    return this.db().collection<BatchDoc>('analytics_batches');
  }

  async rollUp(limit: number): Promise<number> {
    // A batch a crash left half-done is finished first: its counters must be ahead of any later batch's.
    const pending = new Set((await this.batches().find({ state: 'pending' }).sort({ _id: 1 }).toArray()).map((doc) => doc.seq));
    for (const seq of pending) await this.apply(seq);
    const ids = (await this.events().find({ countedBy: 0, state: COUNTABLE }, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(limit).toArray()).map((doc) => doc._id);
    if (ids.length === 0) return 0;
    const last = await this.batches().find({}).sort({ _id: -1 }).limit(1).next();
    const batch = (last?.seq ?? 0) + 1;
    try {
      await this.batches().insertOne({ _id: batchId(batch), seq: batch, state: 'pending', createdAt: new Date() });
    } catch (error) {
      // Another process took this number (its lease expired under it): the next round starts from its batch.
      if (isDuplicateKey(error)) return 0;
      throw error;
    }
    // An event belongs to the batch whose claim (a unique insert, the one write FerretDB 1.24 makes atomic against a
    // twin) went in first. `countedBy` on the event is only a hint for finding uncounted ones: FerretDB rewrites a
    // whole document on update, so the dispatcher publishing an event at the same moment can set it back to 0;
    // such an event is found again, its claim is refused, and the hint is repaired.
    for (const id of ids) {
      let owner = batch;
      try {
        await this.claims().insertOne({ _id: id, batch, createdAt: new Date() });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        owner = (await this.claims().findOne({ _id: id }))?.batch ?? batch;
      }
      await this.events().updateOne({ _id: id }, { $set: { countedBy: owner } });
    }
    return this.apply(batch);
  }

  /** Applies a batch's increments (again, after a crash: idempotent) and marks it applied; returns its event count. */
  private async apply(batch: number): Promise<number> {
    const ids = (await this.claims().find({ batch }).toArray()).map((claim) => claim._id);
    const docs = ids.length === 0 ? [] : await this.events().find({ _id: { $in: ids } }).sort({ _id: 1 }).toArray();
    const totals = new Map<string, { metric: string; t: number; dims: string; value: number }>();
    // Marks this application already took: a second `once` of one key in the batch is not its first.
    const taken = new Set<string>();
    for (const event of docs.map(toEvent)) {
      const at = event.time.getTime();
      for (const op of rollupOps(event)) {
        if (op.kind === 'mark') {
          await this.mark(op.key, op.memberId, op.until, batch);
          continue;
        }
        if (op.requires !== undefined && !(await this.marks().findOne({ _id: op.requires, expiresAt: { $gt: new Date(at) } }))) continue;
        if (op.once !== undefined) {
          if (taken.has(op.once.key) || !(await this.mark(op.once.key, op.memberId, op.once.until, batch))) continue;
          taken.add(op.once.key);
        }
        const dims = dimsKey(op.dims);
        const key = `${op.metric}|${op.t}|${dims}`;
        const total = totals.get(key);
        if (total) total.value += op.value;
        else totals.set(key, { metric: op.metric, t: op.t, dims, value: op.value });
      }
    }
    for (const total of totals.values()) await this.add(`${total.metric}|${total.t}|${total.dims}`, total, batch);
    await this.batches().updateOne({ _id: batchId(batch) }, { $set: { state: 'applied' } });
    return docs.length;
  }

  /**
   * Adds a batch's total to a counter once. No conditional upsert: FerretDB 1.24 answers an upsert whose filter
   * does not match an existing _id with a second document, so the update, the existence check and the insert are
   * separate (an insert losing a race to another batch's is retried as an update).
   */
  private async add(id: string, total: { metric: string; t: number; dims: string; value: number }, batch: number): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const updated = await this.counterDocs().updateOne({ _id: id, batch: { $lt: batch } }, { $inc: { value: total.value }, $set: { batch } });
      if (updated.matchedCount > 0) return;
      // There, with this batch (or a later one) applied already: nothing to add.
      if (await this.counterDocs().findOne({ _id: id }, { projection: { _id: 1 } })) return;
      try {
        await this.counterDocs().insertOne({ _id: id, metric: total.metric, t: new Date(total.t), dims: total.dims, value: total.value, batch });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
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
    // A claim outlives the moment its event's hint could be set back (a publish racing the claim) by far.
    const claims = (await this.claims().deleteMany({ createdAt: { $lt: new Date(now.getTime() - CLAIM_KEEP_MS) } })).deletedCount;
    return counters + marks + batches + claims;
  }

  async adoption(): Promise<Adoption> {
    const db = this.db();
    // Distinct holders by $group then $count: the answer is one small document however many members there are.
    const holders = async (collection: string, match: Filter<Record<string, unknown>>): Promise<number> => {
      const [row] = await db.collection(collection).aggregate<{ n: number }>([{ $match: match }, { $group: { _id: '$accountId' } }, { $count: 'n' }]).toArray();
      return row?.n ?? 0;
    };
    const [members, app, passkey, phone] = await Promise.all([
      db.collection('accounts').countDocuments({}),
      holders('factors', { confirmedAt: { $type: 'date' } }),
      holders('passkeys', {}),
      db.collection('accounts').countDocuments({ phone: { $type: 'string' } }),
    ]);
    return { members, app, passkey, phone };
  }

  async exportPage(query: { from: Date; to: Date; after: string | undefined; types: readonly EventType[] | undefined; limit: number }): Promise<DomainEvent[]> {
    const id: Record<string, string> = { $gte: eventIdBound(query.from), $lt: eventIdBound(query.to) };
    if (query.after !== undefined) id.$gt = query.after;
    const filter: Filter<EventDoc> = { _id: id, state: { $ne: 'pending' } };
    if (query.types !== undefined && query.types.length > 0) Object.assign(filter, { type: { $in: [...query.types] } });
    const docs = await this.events().find(filter).sort({ _id: 1 }).limit(query.limit).toArray();
    return docs.map(toEvent);
  }
}
