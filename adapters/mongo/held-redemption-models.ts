// Mongo documents of redemptions held for review (issue 21): the hold record and the one decision on it.
import { Schema, type Connection, type Model } from 'mongoose';
import type { HeldRedemption } from '../../server/domain/loyalty/held-redemptions.repository.ts';
import { givenString, nullableDate, nullableString, options } from './schema-kit.ts';

/**
 * A hold: `pending` from before its hold entry is posted until the record says `held` (a crash in between is
 * settled by recoverPending: held if the entry went in, deleted if not), then released or rejected once.
 */
export interface HeldRedemptionDoc extends Omit<HeldRedemption, 'id' | 'status' | 'entryId'> {
  /** holdId(idempotencyKey). */
  _id: string;
  status: 'pending' | HeldRedemption['status'];
  entryId: string | null;
  requestHash: string;
}

/**
 * The decision on a hold: its unique _id (the hold's) makes one of concurrent release/reject calls the winner,
 * as FerretDB 1.24 applies no conditional update atomically. The winner then writes the event or the return
 * entry and the hold's status; a crash in between is finished by recoverPending from this document.
 */
export interface HoldDecisionDoc {
  _id: string;
  status: 'released' | 'rejected';
  decidedBy: string;
  decidedAt: Date;
}

const heldRedemptionSchema = new Schema<HeldRedemptionDoc>(
  {
    _id: givenString('_id'),
    accountId: givenString('accountId'),
    points: { type: Number, required: true, min: 1 },
    partnerId: nullableString,
    reason: { type: String, default: '' },
    idempotencyKey: givenString('idempotencyKey'),
    requestHash: givenString('requestHash'),
    entryId: nullableString,
    score: { type: Number, required: true },
    signals: { type: [String], default: [] },
    status: { type: String, required: true, enum: ['pending', 'held', 'released', 'rejected'] },
    createdAt: { type: Date, required: true },
    decidedAt: nullableDate,
    decidedBy: nullableString,
  },
  options,
);

const holdDecisionSchema = new Schema<HoldDecisionDoc>(
  {
    _id: givenString('_id'),
    status: { type: String, required: true, enum: ['released', 'rejected'] },
    decidedBy: givenString('decidedBy'),
    decidedAt: { type: Date, required: true },
  },
  options,
);

export interface HeldRedemptionModels {
  heldRedemptions: Model<HeldRedemptionDoc>;
  holdDecisions: Model<HoldDecisionDoc>;
}

export function registerHeldRedemptionModels(connection: Connection): HeldRedemptionModels {
  return {
    heldRedemptions: connection.model<HeldRedemptionDoc>('HeldRedemption', heldRedemptionSchema, 'held_redemptions'),
    holdDecisions: connection.model<HoldDecisionDoc>('HoldDecision', holdDecisionSchema, 'hold_decisions'),
  };
}
