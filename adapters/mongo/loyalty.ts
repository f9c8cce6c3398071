// Mongo loyalty members and points ledger without transactions. FerretDB 1.24 applies no conditional update
// atomically (it reads, checks and writes the whole document back) but does refuse a taken _id, so both ledger
// guarantees rest on unique inserts: an entry's _id is (member, sequence), so appending is inserting the next
// sequence and of concurrent appenders one wins; an idempotency key is claimed by an insert before appending.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Model } from 'mongoose';
import { DomainError } from '../../server/domain/errors.ts';
import { ledgerEvents, memberCreatedEvent } from '../../server/domain/events/domain-event.ts';
import { assertValidMember, assertValidPostEntry, pageLimit, totalsAfter } from '../../server/domain/loyalty/ledger-rules.ts';
import type { LedgerEntry, LoyaltyRepository, Member, NewMember, PostEntry, PostResult } from '../../server/domain/loyalty/loyalty.repository.ts';
import { isMergeOutKey } from '../../server/domain/merge/merge-rules.ts';
import { claimIdentifier, insertUnique, releaseIdentifier } from './claims.ts';
import { isDuplicateKey, retryOnDuplicate } from './errors.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { entryId, LedgerHeads } from './ledger-heads.ts';
import type { EventDoc, IdentifierDoc, LedgerEntryDoc, LedgerKeyDoc, LoyaltyMemberDoc, Models } from './models.ts';
import { confirmEvents, dropEvents, insertPendingEvents, insertReadyEvents } from './events.ts';

/** How often a post may lose the append to other instances before it gives up with `conflict` (nothing written). */
const APPEND_ATTEMPTS = 100;
/**
 * How old a claim another request still holds pending may get before a post with its key stops waiting for it
 * and settles it itself: by then that request died (a crash cut its write) or hangs. A client retrying after a
 * crash is held this long at most, not until the next sweep. Settling under a post still in flight is safe:
 * the entries' unique idempotencyKey index lets only one entry be written under the key, and the slow post then
 * answers from that entry. Well above what a post takes. Instance clocks only shift when a waiter stops waiting,
 * never what is written.
 */
const PENDING_WAIT_MS = 5_000;
/** Waits between tries: full jitter, doubling from the base up to a cap, so contenders spread out. */
const BACKOFF_BASE_MS = 2;
/** Between appends that lost to another instance: short, as the loser re-reads and tries again at once. */
const APPEND_BACKOFF_CAP_MS = 50;
/** Between looks at a key another instance holds: longer, as that instance has a whole append to do. */
const PENDING_POLL_CAP_MS = 100;

function cardId(memberNumber: string): string {
  return `card:${memberNumber}`;
}

function backoff(attempt: number, capMs: number): Promise<void> {
  return sleep(Math.random() * Math.min(capMs, BACKOFF_BASE_MS * 2 ** attempt));
}

function duplicate(cause: unknown): DomainError {
  return new DomainError('duplicate', 'This account is already a member, or the member number is taken', { cause });
}

function toEntry(doc: LedgerEntryDoc): LedgerEntry {
  return {
    id: doc._id,
    accountId: doc.accountId,
    sequence: doc.sequence,
    kind: doc.kind,
    points: doc.points,
    balanceAfter: doc.balanceAfter,
    lifetimeAfter: doc.lifetimeAfter,
    partnerId: doc.partnerId ?? null,
    reason: doc.reason,
    idempotencyKey: doc.idempotencyKey,
    requestHash: doc.requestHash,
    createdAt: doc.createdAt,
  };
}

/** The balance is read from the newest entry, the one place it is written; the member document has none. */
function toMember(doc: LoyaltyMemberDoc, newest: LedgerEntryDoc | null): Member {
  return {
    accountId: doc._id,
    memberNumber: doc.memberNumber,
    enrolmentChannel: doc.enrolmentChannel,
    balance: newest?.balanceAfter ?? 0,
    lifetimePoints: newest?.lifetimeAfter ?? 0,
    createdAt: doc.createdAt,
  };
}

/** The answer to a post whose key already has `entry`: its replay, or a conflict when it asked something else. */
function answerWith(input: PostEntry, entry: LedgerEntry): PostResult {
  if (entry.requestHash !== input.requestHash) return { ok: false, reason: 'idempotency_conflict' };
  return { ok: true, entry, replayed: true };
}

/** A merge's entry on the member it absorbed: nothing but the merge's own entries may follow it. */
function closesLedger(entry: LedgerEntryDoc): boolean {
  return entry.kind === 'adjust' && isMergeOutKey(entry.idempotencyKey);
}

/** Test-only seams: unset in production. */
export interface LedgerSeams {
  /**
   * Awaited in append() once a post has passed the freeze check and read the head it appends after, right before its
   * insert: a test holds a post there while another instance merges the member (the cross-process interleaving).
   */
  beforeAppend?: (input: PostEntry) => Promise<void>;
}

/** What appending came to, once this post holds its key: an entry under the key (`written` by this post or not), or why none. */
type AppendOutcome = { entry: LedgerEntry; written: boolean } | 'insufficient_points' | 'no_member' | 'busy';

export type LoyaltyModels = Pick<Models, 'identifiers' | 'loyaltyMembers' | 'ledgerEntries' | 'ledgerKeys' | 'events'>;

/**
 * Posting: read the key's claim (applied: replay it; pending: wait for it); refuse without claiming when the
 * member is missing or the points are short (a refusal writes nothing); else claim the key (a `ledger_keys`
 * insert), insert the entry after the member's newest (again from a fresh read when another instance took that
 * sequence), and mark the claim applied. A post that ends up writing nothing deletes its claim, so the key is not
 * used up. A crash after the claim leaves it pending: a post with that key settles it (applied if its entry was
 * written, given back otherwise) once its entry shows or the claim is PENDING_WAIT_MS old, and so does the
 * periodic recoverPending() for keys nobody retries.
 */
export class MongoLoyaltyRepository implements LoyaltyRepository {
  private readonly identifiers: Model<IdentifierDoc>;
  private readonly members: Model<LoyaltyMemberDoc>;
  private readonly entries: Model<LedgerEntryDoc>;
  private readonly keys: Model<LedgerKeyDoc>;
  private readonly events: Model<EventDoc>;
  /** Posts of this process one key at a time: a twin looks at the key once the first is done (no polling). */
  private readonly postingKey = new KeyedQueue();
  /** Appends of this process one member at a time: no insert is wasted on a sequence a sibling takes. */
  private readonly appendingTo = new KeyedQueue();
  private readonly heads: LedgerHeads;
  /** Test-only (see LedgerSeams). */
  readonly seams: LedgerSeams = {};

  constructor(models: LoyaltyModels) {
    this.identifiers = models.identifiers;
    this.members = models.loyaltyMembers;
    this.entries = models.ledgerEntries;
    this.keys = models.ledgerKeys;
    this.events = models.events;
    this.heads = new LedgerHeads(models);
  }

  async createMember(input: NewMember): Promise<Member> {
    assertValidMember(input);
    const { accountId, memberNumber } = input;
    const createdAt = new Date();
    const card = cardId(memberNumber);
    // The number is claimed first (unique across accounts); the member's _id then makes one member per account.
    const claimed = await claimIdentifier(this.identifiers, {
      id: card,
      accountId,
      now: createdAt,
      carried: async (holder) => (await this.members.findById(holder.accountId).lean<LoyaltyMemberDoc>().exec())?.memberNumber === memberNumber,
      taken: duplicate,
    });
    const doc: LoyaltyMemberDoc = { _id: accountId, memberNumber, enrolmentChannel: input.enrolmentChannel, createdAt };
    // member.created waits at its recoverable step (proof: the member document) until the insert is in.
    const pending = await insertPendingEvents(this.events, [memberCreatedEvent(toMember(doc, null), input.signUpMethod)], `member:${accountId}:${memberNumber}`);
    try {
      await this.members.create(doc);
    } catch (error) {
      // Only a claim this call inserted is given back: the account's member may hold this very number.
      if (claimed) await releaseIdentifier(this.identifiers, card, accountId);
      // Nothing was enrolled by this call (a duplicate is another enrolment's member): its event goes.
      await dropEvents(this.events, pending);
      if (isDuplicateKey(error)) throw duplicate(error);
      throw error;
    }
    await confirmEvents(this.events, pending);
    return toMember(doc, null);
  }

  async findMember(accountId: string): Promise<Member | undefined> {
    const [doc, newest] = await Promise.all([this.members.findById(accountId).lean<LoyaltyMemberDoc>().exec(), this.heads.newest(accountId)]);
    return doc ? toMember(doc, newest) : undefined;
  }

  async findMemberByNumber(memberNumber: string): Promise<Member | undefined> {
    // The claim names the holder; its member must carry the number too (a claim may be an orphan).
    const holder = await this.identifiers.findById(cardId(memberNumber)).lean<IdentifierDoc>().exec();
    if (!holder) return undefined;
    const member = await this.findMember(holder.accountId);
    return member?.memberNumber === memberNumber ? member : undefined;
  }

  async post(input: PostEntry): Promise<PostResult> {
    assertValidPostEntry(input);
    return this.postingKey.run(input.idempotencyKey, () => this.postOnce(input));
  }

  private async postOnce(input: PostEntry): Promise<PostResult> {
    const _id = input.idempotencyKey;
    for (let attempt = 0; ; attempt += 1) {
      const held = await this.keys.findById(_id).lean<LedgerKeyDoc>().exec();
      if (held?.status === 'applied') return answerWith(input, await this.appliedEntry(held));
      if (held) {
        // Another request with this key is writing: wait for its answer (or for it to give the key back), unless
        // its entry is already there (it was written, then the request died before marking the claim) or the
        // claim is stale. Either way this post settles the claim itself, as recovery would, and looks again:
        // settled applied, it replays the entry; given back, it claims the key and writes.
        if (Date.now() - held.createdAt.getTime() >= PENDING_WAIT_MS || (await this.findEntryByKey(_id))) {
          await this.settlePending(held);
        } else {
          await backoff(attempt, PENDING_POLL_CAP_MS);
        }
        continue;
      }
      // The key is free. A post that cannot write is refused without claiming it (a refusal writes nothing),
      // unless the key was claimed meanwhile: then that use of it is the answer, as if it came first.
      const refusal = await this.refusal(input);
      if (refusal) {
        if ((await this.keys.exists({ _id })) === null) return { ok: false, reason: refusal };
        continue;
      }
      const claim: LedgerKeyDoc = { _id, requestHash: input.requestHash, accountId: input.accountId, status: 'pending', entryId: null, createdAt: new Date() };
      if (await insertUnique(this.keys, claim)) return this.write(input);
    }
  }

  /** Why the post cannot write now, if it cannot: the member is missing, or the points are not there. */
  private async refusal(input: PostEntry): Promise<'no_member' | 'insufficient_points' | undefined> {
    const [member, newest] = await Promise.all([
      this.members.findById(input.accountId).lean<LoyaltyMemberDoc>().exec(),
      input.points < 0 ? this.heads.newest(input.accountId) : null,
    ]);
    // A member merged into another (issue 21) takes no post but the merge's own: its points moved to the survivor.
    if (member === null || ((member.mergedInto ?? null) !== null && input.merging !== true)) return 'no_member';
    if ((newest?.balanceAfter ?? 0) + input.points < 0) return 'insufficient_points';
    return undefined;
  }

  /** Writes the entry under the key this post has claimed, and settles the claim. */
  private async write(input: PostEntry): Promise<PostResult> {
    let outcome: AppendOutcome;
    try {
      outcome = await this.appendingTo.run(input.accountId, () => this.append(input));
    } catch (error) {
      // A DomainError (overflow) came before any write, so the key is given back. Any other error may have
      // come after the insert reached the server: the claim stays pending for recoverPending() to settle.
      if (error instanceof DomainError) await this.releaseKey(input);
      throw error;
    }
    if (typeof outcome !== 'string') {
      await this.markApplied(outcome.entry);
      return outcome.written ? { ok: true, entry: outcome.entry, replayed: false } : answerWith(input, outcome.entry);
    }
    // Nothing written: the key stays unused, so the same request may succeed later.
    await this.releaseKey(input);
    if (outcome === 'busy') throw new DomainError('conflict', 'The points ledger is busy for this member; try again');
    return { ok: false, reason: outcome };
  }

  private async appliedEntry(claim: LedgerKeyDoc): Promise<LedgerEntry> {
    const doc = claim.entryId === null ? null : await this.entries.findById(claim.entryId).lean<LedgerEntryDoc>().exec();
    const entry = doc ? toEntry(doc) : await this.findEntryByKey(claim._id);
    if (!entry) throw new Error(`ledger key ${claim._id} is applied but has no entry`);
    return entry;
  }

  /**
   * Appends after the member's newest entry, from a fresh read each time another post took the sequence
   * first. Gives up ('busy') after losing APPEND_ATTEMPTS times, i.e. after as many other entries went in.
   */
  private async append(input: PostEntry): Promise<AppendOutcome> {
    // Looked at again once this post's turn has come (posts of a member wait for each other here): a merge that
    // froze the member meanwhile (issue 21) must not find points landing on its tombstone after it moved them.
    if (input.merging !== true && ((await this.members.findById(input.accountId).lean<LoyaltyMemberDoc>().exec())?.mergedInto ?? null) !== null) return 'no_member';
    let refused = 0; // the sequence whose insert was refused last
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt += 1) {
      const newest = await this.heads.newest(input.accountId);
      const last = newest?.sequence ?? 0;
      if (refused > last) {
        // Refused though its sequence is still free: the key index refused it, as the key has its entry
        // already (written by a post whose claim recoverPending() settled while the post was in flight).
        const existing = await this.findEntryByKey(input.idempotencyKey);
        if (!existing) throw new Error(`ledger entry ${entryId(input.accountId, refused)} was refused for no known reason`);
        return { entry: existing, written: false };
      }
      // The fence across processes (issue 21): a merge's closing entry ends the member's chain for every post but
      // the merge's own. The entry appended after is the one read here (the insert of sequence + 1 only succeeds
      // after it, and entries never change), so this check and the insert are one atomic step even on FerretDB: a
      // post that passed the freeze check before the merge froze the member loses its insert and is refused here.
      if (input.merging !== true && newest !== null && closesLedger(newest)) return 'no_member';
      if ((newest?.balanceAfter ?? 0) + input.points < 0) return 'insufficient_points';
      await this.seams.beforeAppend?.(input);
      const totals = totalsAfter({ balance: newest?.balanceAfter ?? 0, lifetimePoints: newest?.lifetimeAfter ?? 0 }, input.points, input.kind, input.lifetimeCarried ?? 0);
      const sequence = last + 1;
      const doc: LedgerEntryDoc = {
        _id: entryId(input.accountId, sequence),
        accountId: input.accountId,
        sequence,
        kind: input.kind,
        points: input.points,
        balanceAfter: totals.balance,
        lifetimeAfter: totals.lifetimePoints,
        partnerId: input.partnerId,
        reason: input.reason,
        idempotencyKey: input.idempotencyKey,
        requestHash: input.requestHash,
        createdAt: new Date(),
      };
      if (await insertUnique(this.entries, doc)) {
        await this.heads.advance(input.accountId, sequence);
        return { entry: toEntry(doc), written: true };
      }
      refused = sequence;
      await backoff(attempt, APPEND_BACKOFF_CAP_MS);
    }
    return 'busy';
  }

  /**
   * A plain $set by _id: every writer of an applied claim writes the same values, those of the key's one entry.
   * An upsert, so a claim recoverPending() deleted under a post still in flight comes back, applied.
   */
  private async markApplied(entry: LedgerEntry): Promise<void> {
    // The event goes in before the claim is marked: while the claim is pending, recovery (settlePending) writes
    // it again if this process dies here; its id derives from the entry, so it is kept once.
    await insertReadyEvents(this.events, ledgerEvents(entry));
    await retryOnDuplicate(() =>
      this.keys.updateOne(
        { _id: entry.idempotencyKey },
        {
          $set: { status: 'applied', entryId: entry.id, requestHash: entry.requestHash, accountId: entry.accountId },
          $setOnInsert: { createdAt: entry.createdAt },
        },
        { upsert: true },
      ),
    );
  }

  private async releaseKey(input: PostEntry): Promise<void> {
    await this.keys.deleteOne({ _id: input.idempotencyKey, requestHash: input.requestHash, status: 'pending' });
  }

  async findEntryByKey(idempotencyKey: string): Promise<LedgerEntry | undefined> {
    // Every entry is applied: it is in the member's chain from the moment it is inserted.
    const doc = await this.entries.findOne({ idempotencyKey }).lean<LedgerEntryDoc>().exec();
    return doc ? toEntry(doc) : undefined;
  }

  async listEntries(accountId: string, options: { limit: number; beforeSequence?: number }): Promise<LedgerEntry[]> {
    const limit = pageLimit(options);
    const filter = options.beforeSequence === undefined ? { accountId } : { accountId, sequence: { $lt: options.beforeSequence } };
    const docs = await this.entries.find(filter).sort({ sequence: -1 }).limit(limit).lean<LedgerEntryDoc[]>().exec();
    return docs.map(toEntry);
  }

  async sumEntries(accountId: string): Promise<number> {
    const [row] = await this.entries
      .aggregate<{ total: number }>([{ $match: { accountId } }, { $group: { _id: null, total: { $sum: '$points' } } }])
      .exec();
    return row?.total ?? 0;
  }

  async deleteMemberWithoutEntries(accountId: string): Promise<boolean> {
    if (await this.entries.exists({ accountId }).exec()) return false;
    return (await this.members.deleteOne({ _id: accountId }).exec()).deletedCount > 0;
  }

  /**
   * `olderThan` should lie well before now minus PENDING_WAIT_MS (minutes, say): a claim settled under a post
   * still in flight is put right when that post marks it applied, but until then a replay may not find it.
   */
  async recoverPending(olderThan: Date): Promise<number> {
    const stale = await this.keys.find({ status: 'pending', createdAt: { $lt: olderThan } }).lean<LedgerKeyDoc[]>().exec();
    let resolved = 0;
    for (const claim of stale) resolved += await this.settlePending(claim);
    return resolved;
  }

  /**
   * Settles a pending claim whose post died (or hangs): applied when its entry was written, given back when not.
   * Used by the sweep and by a post that finds the claim stale. Returns 1 when this call changed the claim.
   */
  private async settlePending(claim: LedgerKeyDoc): Promise<number> {
    const entry = await this.findEntryByKey(claim._id);
    // Conditional on the claim read, so a claim made again since (by a replay) is left to its post.
    const filter = { _id: claim._id, status: 'pending' as const, createdAt: claim.createdAt };
    if (entry) {
      // Appended, then the process died before marking it: the post happened; finish it, event first.
      await insertReadyEvents(this.events, ledgerEvents(entry));
      const { modifiedCount } = await this.keys.updateOne(filter, { $set: { status: 'applied', entryId: entry.id, requestHash: entry.requestHash } });
      return modifiedCount;
    }
    // Died before appending: nothing was written; give the key back.
    const { deletedCount } = await this.keys.deleteOne(filter);
    return deletedCount;
  }
}
