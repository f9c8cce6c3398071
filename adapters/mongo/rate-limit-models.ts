// Mongo documents of the rate-limit store: one window head per (rule, key), and one slot per point allowed.
import { Schema, type Connection, type Model } from 'mongoose';
import { options } from './schema-kit.ts';

/**
 * The head of a key's current window; `_id` is the hashed key (see storedKey). Every field is advisory on
 * FerretDB 1.24, whose updates are read-modify-write: what is allowed is decided by the slots' unique inserts.
 */
export interface RateLimitWindowDoc {
  _id: string;
  /** Number of the key's current window (1, 2, ...): its slots are "<key>:<epoch>:<n>". */
  epoch: number;
  /** Points counted in the window, refused ones included; a consume reserves its points with $inc. */
  consumed: number;
  /** End of the window, or of the block that replaced it; a reset moves it to the reset's time. */
  endsAt: Date;
  /** When the head may be dropped: never before any of its slots (a head outlives its window's slots). */
  expiresAt: Date;
}

/**
 * Point n of a window, `_id` "<key>:<epoch>:<n>" with 1 <= n <= the rule's points: inserting it is the
 * consume, so of concurrent consumes each point goes to exactly one. Slot 1 also opens the window: its
 * inserter writes the head, and its `expiresAt` is the window's end for everyone else.
 */
export interface RateLimitSlotDoc {
  _id: string;
  expiresAt: Date;
}

const windowSchema = new Schema<RateLimitWindowDoc>(
  {
    _id: { type: String, required: true },
    epoch: { type: Number, required: true, min: 1 },
    consumed: { type: Number, required: true, min: 0 },
    endsAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  options,
);

const slotSchema = new Schema<RateLimitSlotDoc>(
  { _id: { type: String, required: true }, expiresAt: { type: Date, required: true } },
  options,
);

export interface RateLimitModels {
  rateLimitWindows: Model<RateLimitWindowDoc>;
  rateLimitSlots: Model<RateLimitSlotDoc>;
}

export function registerRateLimitModels(connection: Connection): RateLimitModels {
  return {
    rateLimitWindows: connection.model<RateLimitWindowDoc>('RateLimitWindow', windowSchema, 'rate_limit_windows'),
    rateLimitSlots: connection.model<RateLimitSlotDoc>('RateLimitSlot', slotSchema, 'rate_limit_slots'),
  };
}
