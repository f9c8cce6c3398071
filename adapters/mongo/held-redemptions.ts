// Mongo redemptions held for review, without transactions: each hold and each decision is a sequence of
// idempotent steps that a retry or recoverPending() can finish, and one unique insert picks the decision's winner.
import type { Model } from 'mongoose';
import { releasedHoldEvent } from '../../server/domain/events/domain-event.ts';
import {
  type DecisionResult,
  type HeldRedemption,
  type HeldRedemptionsRepository,
  type HoldResult,
  type HoldStatus,
  holdId,
  holdReturnKey,
  MAX_HOLDS_PER_PAGE,
  type NewHold,
} from '../../server/domain/loyalty/held-redemptions.repository.ts';
import type { LoyaltyRepository } from '../../server/domain/loyalty/loyalty.repository.ts';
import { insertUnique } from './claims.ts';
import { insertReadyEvents } from './events.ts';
import type { EventDoc, HeldRedemptionDoc, HoldDecisionDoc, Models } from './models.ts';

function toHold(doc: HeldRedemptionDoc): HeldRedemption {
  if (doc.status === 'pending' || doc.entryId === null) throw new Error(`held redemption ${doc._id} is still pending`);
  return {
    id: doc._id,
    accountId: doc.accountId,
    points: doc.points,
    partnerId: doc.partnerId ?? null,
    reason: doc.reason,
    idempotencyKey: doc.idempotencyKey,
    entryId: doc.entryId,
    score: doc.score,
    signals: [...doc.signals],
    status: doc.status,
    createdAt: doc.createdAt,
    decidedAt: doc.decidedAt ?? null,
    decidedBy: doc.decidedBy ?? null,
  };
}

export type HeldRedemptionStoreModels = Pick<Models, 'heldRedemptions' | 'holdDecisions' | 'events'>;

/**
 * Holding: insert the record `pending`, post the hold entry (the ledger's own idempotent, recoverable post under the
 * redemption's key), mark the record `held`. Deciding: insert the decision (unique: the winner), write its effect
 * (the release's event, or the reject's return entry under its own key), set the record's status.
 */
export class MongoHeldRedemptionsRepository implements HeldRedemptionsRepository {
  private readonly holds: Model<HeldRedemptionDoc>;
  private readonly decisions: Model<HoldDecisionDoc>;
  private readonly events: Model<EventDoc>;
  private readonly ledger: LoyaltyRepository;

  constructor(models: HeldRedemptionStoreModels, ledger: LoyaltyRepository) {
    this.holds = models.heldRedemptions;
    this.decisions = models.holdDecisions;
    this.events = models.events;
    this.ledger = ledger;
  }

  async hold(input: NewHold): Promise<HoldResult> {
    const _id = holdId(input.idempotencyKey);
    let existing = await this.holds.findById(_id).lean<HeldRedemptionDoc>().exec();
    if (existing?.status === 'pending' && existing.requestHash !== input.requestHash && !(await this.ledger.findEntryByKey(input.idempotencyKey))) {
      // A dead request's record for another body under this key, which reserved nothing: this request's record replaces it.
      await this.holds.deleteOne({ _id, status: 'pending', requestHash: existing.requestHash });
      existing = null;
    }
    if (existing && existing.status !== 'pending') {
      if (existing.requestHash !== input.requestHash) return { ok: false, reason: 'idempotency_conflict' };
      const entry = await this.ledger.findEntryByKey(input.idempotencyKey);
      if (!entry) throw new Error(`held redemption ${_id} has no hold entry`);
      return { ok: true, entry, hold: toHold(existing), replayed: true };
    }
    if (!existing) {
      // A redemption that went through under this key (the rules let an earlier try pass): its replay.
      const previous = await this.ledger.findEntryByKey(input.idempotencyKey);
      if (previous && previous.kind !== 'hold') {
        if (previous.requestHash !== input.requestHash) return { ok: false, reason: 'idempotency_conflict' };
        return { ok: true, entry: previous, hold: undefined, replayed: true };
      }
      await insertUnique(this.holds, {
        _id, accountId: input.accountId, points: input.points, partnerId: input.partnerId, reason: input.reason,
        idempotencyKey: input.idempotencyKey, requestHash: input.requestHash, entryId: null, score: input.score,
        signals: [...input.signals], status: 'pending', createdAt: new Date(), decidedAt: null, decidedBy: null,
      });
    }
    const posted = await this.ledger.post({
      accountId: input.accountId, kind: 'hold', points: -input.points, partnerId: input.partnerId, reason: input.reason,
      idempotencyKey: input.idempotencyKey, requestHash: input.requestHash,
    });
    if (!posted.ok || posted.entry.kind !== 'hold') {
      // Nothing reserved under this record: a refusal, or the key went to a plain redemption meanwhile.
      await this.holds.deleteOne({ _id, status: 'pending' });
      return posted.ok ? { ok: true, entry: posted.entry, hold: undefined, replayed: true } : posted;
    }
    await this.holds.updateOne({ _id, status: 'pending' }, { $set: { status: 'held', entryId: posted.entry.id, createdAt: posted.entry.createdAt } });
    const doc = await this.holds.findById(_id).lean<HeldRedemptionDoc>().exec();
    if (!doc || doc.status === 'pending') throw new Error(`held redemption ${_id} could not be recorded`);
    return { ok: true, entry: posted.entry, hold: toHold(doc), replayed: posted.replayed };
  }

  async find(id: string): Promise<HeldRedemption | undefined> {
    const doc = await this.holds.findById(id).lean<HeldRedemptionDoc>().exec();
    return doc && doc.status !== 'pending' ? toHold(doc) : undefined;
  }

  async list(status: HoldStatus, options: { limit: number; after?: string }): Promise<HeldRedemption[]> {
    const limit = Math.min(Math.max(1, Math.trunc(options.limit)), MAX_HOLDS_PER_PAGE);
    const after = options.after === undefined ? undefined : await this.holds.findById(options.after).lean<HeldRedemptionDoc>().exec();
    const filter = after
      ? { status, $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, _id: { $gt: after._id } }] }
      : { status };
    const docs = await this.holds.find(filter).sort({ createdAt: 1, _id: 1 }).limit(limit).lean<HeldRedemptionDoc[]>().exec();
    return docs.map(toHold);
  }

  async listByAccount(accountId: string, limit: number): Promise<HeldRedemption[]> {
    const bounded = Math.min(Math.max(1, Math.trunc(limit)), MAX_HOLDS_PER_PAGE);
    const docs = await this.holds.find({ accountId, status: { $ne: 'pending' } }).sort({ createdAt: -1 }).limit(bounded).lean<HeldRedemptionDoc[]>().exec();
    return docs.map(toHold);
  }

  release(id: string, decidedBy: string): Promise<DecisionResult> {
    return this.decide(id, decidedBy, 'released');
  }

  reject(id: string, decidedBy: string): Promise<DecisionResult> {
    return this.decide(id, decidedBy, 'rejected');
  }

  private async decide(id: string, decidedBy: string, status: 'released' | 'rejected'): Promise<DecisionResult> {
    const doc = await this.holds.findById(id).lean<HeldRedemptionDoc>().exec();
    if (!doc || doc.status === 'pending') return { ok: false, reason: 'not_found' };
    if (doc.status !== 'held') return { ok: false, reason: 'decided', hold: toHold(doc) };
    const decision: HoldDecisionDoc = { _id: id, status, decidedBy, decidedAt: new Date() };
    // The one winner of racing decisions; a loser changes nothing.
    if (!(await insertUnique(this.decisions, decision))) return { ok: false, reason: 'decided', hold: toHold(doc) };
    return { ok: true, hold: await this.finish(doc, decision) };
  }

  /** Writes what the decision changes, then the status: every step is idempotent, so recovery may run it again. */
  private async finish(doc: HeldRedemptionDoc, decision: HoldDecisionDoc): Promise<HeldRedemption> {
    if (decision.status === 'released') {
      const entry = await this.ledger.findEntryByKey(doc.idempotencyKey);
      if (!entry) throw new Error(`held redemption ${doc._id} has no hold entry`);
      // Derived id: written twice by a recovery, kept once.
      await insertReadyEvents(this.events, [releasedHoldEvent(entry, decision.decidedAt)]);
    } else {
      const key = holdReturnKey(doc._id);
      const posted = await this.ledger.post({
        accountId: doc.accountId, kind: 'hold_return', points: doc.points, partnerId: doc.partnerId ?? null,
        reason: 'held redemption rejected', idempotencyKey: key, requestHash: key,
      });
      if (!posted.ok) throw new Error(`held redemption ${doc._id}: its points could not be given back (${posted.reason})`);
    }
    const set = { status: decision.status, decidedAt: decision.decidedAt, decidedBy: decision.decidedBy };
    await this.holds.updateOne({ _id: doc._id }, { $set: set });
    return toHold({ ...doc, ...set });
  }

  async recoverPending(olderThan: Date): Promise<number> {
    let resolved = 0;
    // Holds cut between the record and the hold entry: held if the entry went in, forgotten if not.
    const pending = await this.holds.find({ status: 'pending', createdAt: { $lt: olderThan } }).limit(500).lean<HeldRedemptionDoc[]>().exec();
    for (const doc of pending) {
      const entry = await this.ledger.findEntryByKey(doc.idempotencyKey);
      if (entry?.kind === 'hold') {
        await this.holds.updateOne({ _id: doc._id, status: 'pending' }, { $set: { status: 'held', entryId: entry.id, createdAt: entry.createdAt } });
      } else {
        await this.holds.deleteOne({ _id: doc._id, status: 'pending' });
      }
      resolved += 1;
    }
    // Decisions cut before their hold's status was written.
    // A week back at most: older decisions were finished by earlier sweeps, and the scan stays bounded.
    const since = new Date(olderThan.getTime() - 7 * 24 * 60 * 60 * 1000);
    const decisions = await this.decisions.find({ decidedAt: { $lt: olderThan, $gte: since } }).sort({ decidedAt: -1 }).limit(500).lean<HoldDecisionDoc[]>().exec();
    for (const decision of decisions) {
      const doc = await this.holds.findById(decision._id).lean<HeldRedemptionDoc>().exec();
      if (doc?.status !== 'held') continue;
      await this.finish(doc, decision);
      resolved += 1;
    }
    return resolved;
  }
}
