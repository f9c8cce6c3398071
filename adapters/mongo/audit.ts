// Mongo audit log: unique inserts (the _id refuses a repeated id), bounded newest-first pages by (at, _id).
import type { Model, QueryFilter } from 'mongoose';
import { assertValidAuditQuery, isAuditEventType } from '../../server/domain/audit/audit-rules.ts';
import type { AuditEvent, AuditQuery, AuditRepository } from '../../server/domain/audit/audit.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { AuditEventDoc } from './audit-models.ts';
import type { EventDoc } from './event-models.ts';
import { insertReadyEvents } from './events.ts';
import { eventFromAudit } from '../../server/domain/events/domain-event.ts';
import { isDuplicateKey } from './errors.ts';

function toEvent({ _id: id, details, ...rest }: AuditEventDoc): AuditEvent {
  if (!isAuditEventType(rest.type)) throw new TypeError(`audit event ${id}: unknown type ${String(rest.type)}`);
  // A document written by hand without details reads as having none.
  return { id, ...rest, details: details ?? {} };
}

export class MongoAuditRepository implements AuditRepository {
  private readonly events: Model<AuditEventDoc>;

  private readonly outbox: Model<EventDoc>;

  constructor(events: Model<AuditEventDoc>, outbox: Model<EventDoc>) {
    this.events = events;
    this.outbox = outbox;
  }

  async append(event: AuditEvent): Promise<void> {
    const { id, ...rest } = event;
    // Sign-ins, blocks and factor changes are domain events too. The sign-in happened whether or not its row is
    // written, so the event goes first.
    const domainEvent = eventFromAudit(event);
    if (domainEvent) await insertReadyEvents(this.outbox, [domainEvent]);
    try {
      // A plain insert, never an upsert: an event once written is not replaced.
      await this.events.create({ _id: id, ...rest });
    } catch (error) {
      if (isDuplicateKey(error)) throw new DomainError('duplicate', `audit event ${id} already exists`, { cause: error });
      throw error;
    }
  }

  async list(query: AuditQuery): Promise<AuditEvent[]> {
    assertValidAuditQuery(query);
    const and: QueryFilter<AuditEventDoc>[] = [];
    if (query.accountId !== undefined) and.push({ accountId: query.accountId });
    if (query.ip !== undefined) and.push({ ip: query.ip });
    if (query.country !== undefined) and.push({ country: query.country });
    if (query.types !== undefined) and.push({ type: { $in: [...new Set(query.types)] } });
    if (query.from !== undefined) and.push({ at: { $gte: query.from } });
    if (query.to !== undefined) and.push({ at: { $lt: query.to } });
    if (query.before !== undefined) {
      // Strictly older by (at, _id): ties on `at` are ordered by id, so pages never skip or repeat one.
      const { at, id } = query.before;
      and.push({ $or: [{ at: { $lt: at } }, { at, _id: { $lt: id } }] });
    }
    const docs = await this.events
      .find(and.length ? { $and: and } : {})
      .sort({ at: -1, _id: -1 })
      .limit(query.limit)
      .lean<AuditEventDoc[]>()
      .exec();
    return docs.map(toEvent);
  }

  async deleteBefore(before: Date): Promise<number> {
    const result = await this.events.deleteMany({ at: { $lt: before } }).exec();
    return result.deletedCount;
  }
}
