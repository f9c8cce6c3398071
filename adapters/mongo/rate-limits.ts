// Mongo rate-limit store: rate-limiter-flexible over unique inserts (one slot document per allowed point), so it
// is exact on FerretDB 1.24 as on MongoDB, which RateLimiterMongo is not (see MongoBackend).
import type { Model } from 'mongoose';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import StoreAbstract from 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js';
import {
  FlexibleRateLimitStore, flexibleOptions, windowRes, type CheckedRule, type StoredWindow,
} from '../../server/security/rate-limit/flexible-store.ts';
import { insertUnique } from './claims.ts';
import { isDuplicateKey } from './errors.ts';
import type { RateLimitModels, RateLimitSlotDoc, RateLimitWindowDoc } from './rate-limit-models.ts';

/** Window numbers tried past the head's before giving up (each step skips a leftover of a swept head). */
const OPEN_ATTEMPTS = 10;

/** The key is a fixed-length base64url hash (no ':'), and epoch and n are integers: the id is unambiguous. */
function slotId(key: string, epoch: number, n: number): string {
  return `${key}:${epoch}:${n}`;
}

function isLive(head: RateLimitWindowDoc, now: number): boolean {
  return head.endsAt.getTime() > now && head.expiresAt.getTime() > now;
}

/**
 * Why not RateLimiterMongo: its $inc upsert is read-modify-write on FerretDB 1.24. 50 concurrent consumes of 1
 * point against points=10 allowed 50 in 13 of 15 runs and 39 in 2 (with a unique index on its key; as shipped,
 * its TTL index is refused first, so the unique one is never made, and 10 of 10 runs allowed 50).
 *
 * The store hooks RateLimiterStoreAbstract calls. Round trips: a consume in a live window 2 (reserve on the
 * head, insert the slot), refused by the count 1 (the reservation), opening a window 3; peek and reset 1.
 *
 * Under concurrency on FerretDB the head's count is a hint (lost $inc), so consumes probe upwards past taken
 * slots and then raise the head; the numbers reported by refused consumes are then approximate, never what
 * is allowed. A consume that read the head before a concurrent reset or block may still land in the window it
 * read (FerretDB may even write that head back over the reset): no window ever allows more than its points.
 */
class MongoBackend extends StoreAbstract {
  private readonly windows: Model<RateLimitWindowDoc>;
  private readonly slots: Model<RateLimitSlotDoc>;
  private readonly limit: number;

  constructor(models: RateLimitModels, rule: CheckedRule) {
    super({ ...flexibleOptions(rule), storeClient: models });
    this.windows = models.rateLimitWindows;
    this.slots = models.rateLimitSlots;
    this.limit = rule.points;
  }

  async _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<StoredWindow> {
    // Every rule has a duration and a block is never 0 s, so a window always ends.
    if (!(msDuration > 0)) throw new RangeError('rate-limit windows must end');
    const endsAt = new Date(Date.now() + msDuration);
    if (forceExpire) return this.startBlock(rlKey, points, endsAt);
    // Reserves the points: atomic on MongoDB, a hint on FerretDB (the slots decide). An ended head's count is void.
    const head = await this.windows
      .findOneAndUpdate({ _id: rlKey }, { $inc: { consumed: points } }, { returnDocument: 'before' })
      .lean<RateLimitWindowDoc>()
      .exec();
    if (!head || !isLive(head, Date.now())) return this.open(rlKey, head?.epoch ?? 0, points, endsAt);
    const reserved = head.consumed + points;
    // Refused by the count: only the $inc is written, so hammering a closed window creates no documents.
    if (reserved > this.limit) return { consumed: reserved, endsAt: head.endsAt.getTime() };
    return this.take(rlKey, head.epoch, head.consumed + 1, points, 0, head.endsAt, reserved);
  }

  async _get(rlKey: string): Promise<StoredWindow | null> {
    const head = await this.windows.findById(rlKey).lean<RateLimitWindowDoc>().exec();
    return head && isLive(head, Date.now()) ? { consumed: head.consumed, endsAt: head.endsAt.getTime() } : null;
  }

  /** Ends the window now; the head stays (until its expiresAt) so the key's window numbers keep rising. */
  async _delete(rlKey: string): Promise<boolean> {
    const { matchedCount } = await this.windows.updateOne({ _id: rlKey }, { $set: { consumed: 0, endsAt: new Date() } }).exec();
    return matchedCount > 0;
  }

  _getRateLimiterRes(_rlKey: string, changedPoints: number, window: StoredWindow): RateLimiterRes {
    return windowRes(this.limit, changedPoints, window);
  }

  /** A block keeps the count and moves the end; rules make a block outlast its window, so no slot outlives the head. */
  private async startBlock(key: string, consumed: number, endsAt: Date): Promise<StoredWindow> {
    await this.windows.updateOne({ _id: key }, { $set: { consumed, endsAt }, $max: { expiresAt: endsAt } }).exec();
    return { consumed, endsAt: endsAt.getTime() };
  }

  /**
   * Opens the window after `previous`: inserting its slot 1 is the claim, so of concurrent openers one wins; the
   * others join its window, and whoever comes first points the head at it. A slot 1 already there but ended is a leftover of a head that
   * was swept: the next number is tried.
   */
  private async open(key: string, previous: number, points: number, endsAt: Date): Promise<StoredWindow> {
    for (let epoch = previous + 1; epoch <= previous + OPEN_ATTEMPTS; epoch += 1) {
      if (await insertUnique(this.slots, { _id: slotId(key, epoch, 1), expiresAt: endsAt })) {
        const window = points > this.limit
          ? { consumed: points, endsAt: endsAt.getTime() }
          : await this.take(key, epoch, 2, points, 1, endsAt, Infinity);
        await this.publish(key, epoch, window.consumed, endsAt);
        return window;
      }
      const claim = await this.slots.findById(slotId(key, epoch, 1)).lean<RateLimitSlotDoc>().exec();
      if (claim && claim.expiresAt.getTime() > Date.now()) {
        // Published by the joiner too: an opener that died before writing the head must not leave every
        // later consume probing from slot 2.
        const window = await this.take(key, epoch, 2, points, 0, claim.expiresAt, Infinity);
        await this.publish(key, epoch, window.consumed, claim.expiresAt);
        return window;
      }
    }
    throw new Error('rate-limit window could not be opened (too many leftover windows)');
  }

  /** Moves the head to window `epoch` unless it is there (or past) already, in which case only its count may rise. */
  private async publish(key: string, epoch: number, consumed: number, endsAt: Date): Promise<void> {
    try {
      await this.windows
        .updateOne({ _id: key, epoch: { $lt: epoch } }, { $set: { epoch, consumed, endsAt }, $max: { expiresAt: endsAt } }, { upsert: true })
        .exec();
    } catch (error) {
      // The filter matched nothing because the head is at this window or later, so the upsert hit its _id.
      if (!isDuplicateKey(error)) throw error;
      await this.windows.updateOne({ _id: key, epoch }, { $max: { consumed } }).exec();
    }
  }

  /**
   * Takes `points - held` more slots of window `epoch`, probing upwards from `from` (at most to the rule's
   * points): allowed when it got them all. When that went past `reservedUpTo` the head's count lags the slots
   * (lost $inc, or a window joined), so the head is raised for the consumes after it.
   */
  private async take(
    key: string, epoch: number, from: number, points: number, held: number, endsAt: Date, reservedUpTo: number,
  ): Promise<StoredWindow> {
    let taken = held;
    let n = from;
    for (; taken < points && n <= this.limit; n += 1) {
      if (await insertUnique(this.slots, { _id: slotId(key, epoch, n), expiresAt: endsAt })) taken += 1;
    }
    // Refused: counted past the points, as a consume refused by the count would be.
    const consumed = taken === points ? n - 1 : this.limit + points - taken;
    if (consumed > reservedUpTo) await this.windows.updateOne({ _id: key, epoch }, { $max: { consumed } }).exec();
    return { consumed, endsAt: endsAt.getTime() };
  }
}

export class MongoRateLimitStore extends FlexibleRateLimitStore<MongoBackend> {
  private readonly models: RateLimitModels;

  constructor(models: RateLimitModels) {
    super();
    this.models = models;
  }

  /** Counts the windows (heads) dropped; their slots go with them (slots first, so few leftovers are met). */
  async sweepExpired(now: Date): Promise<number> {
    await this.models.rateLimitSlots.deleteMany({ expiresAt: { $lte: now } }).exec();
    const { deletedCount } = await this.models.rateLimitWindows.deleteMany({ expiresAt: { $lte: now } }).exec();
    return deletedCount;
  }

  protected backend(rule: CheckedRule): MongoBackend {
    return new MongoBackend(this.models, rule);
  }
}
