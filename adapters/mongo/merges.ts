// Mongo side of member merges (issue 21): no multi-document transactions, so a merge is a pending record (the plan
// and what the survivor takes from the absorbed account, written before anything moves), then single-document
// steps that are each idempotent, then `done`. A crash leaves the record pending; applying the same plan again (the
// sweep, or a retry of the request) runs every step again, and the steps already done change nothing.
import type { Connection } from 'mongoose';
import type { AccountsRepository } from '../../server/domain/accounts/accounts.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { FactorsRepository } from '../../server/domain/factors/factors.repository.ts';
import { consentChanges, identifierMoves, latestAnswers, MERGE_ENTRY_REASON, mergeLedgerKeys, profileGaps } from '../../server/domain/merge/merge-rules.ts';
import type { ApplyResult, MergePlan, MergeRecord, MergeRefusal, MergesRepository } from '../../server/domain/merge/merges.repository.ts';
import type { DomainEvent } from '../../server/domain/events/domain-event.ts';
import { pairId } from './claims.ts';
import { isDuplicateKey } from './errors.ts';
import type { EventDoc } from './event-models.ts';
import { insertReadyEvents } from './events.ts';
import type { MongoLoyaltyRepository } from './loyalty.ts';
import type { PurposeConsentRecordDoc } from './consent-models.ts';
import type { AccountDoc, LedgerEntryDoc, PartnerLinkDoc, ProfileFieldDoc } from './models.ts';

/** What the survivor takes from the absorbed account, kept on the pending record: the account goes before it is taken. */
interface Carry {
  email: string | null;
  phone: string | null;
  passwordHash: string | null;
  passwordFromMailboxAt: Date | null;
}

/** A merge record as stored: the record under `_id`, plus what the survivor takes while the merge is pending. */
type MergeDoc = Omit<MergeRecord, 'id'> & {
  _id: string;
  /** Only while pending (it holds the absorbed member's contacts and password hash); removed when done. */
  carry?: Carry | null;
};

interface RedirectDoc {
  _id: string;
  partnerId: string;
  oldSubject: string;
  newSubject: string;
  mergeId: string;
  expiresAt: Date;
}

/** A document of a collection this module only moves or deletes. */
interface KeyedDoc {
  _id: string;
  accountId?: string;
  [field: string]: unknown;
}

const linkId = (partnerId: string, subject: string) => `${partnerId}:${subject}`;
const fieldId = (accountId: string, name: string) => `${accountId}\0${name}`;
/** Rounds of moving points a concurrent post left on the absorbed member before the merge gives up (and is resumed later). */
const DRAIN_ROUNDS = 20;

function toRecord(doc: MergeDoc): MergeRecord {
  return {
    id: doc._id, survivorId: doc.survivorId, absorbedId: doc.absorbedId, requestKey: doc.requestKey, initiatedBy: doc.initiatedBy, proof: doc.proof,
    reason: doc.reason, status: doc.status, subjects: doc.subjects, redirectUntil: doc.redirectUntil, pointsMoved: doc.pointsMoved,
    lifetimeCarried: doc.lifetimeCarried, createdAt: doc.createdAt, completedAt: doc.completedAt,
  };
}

export interface MongoMergeDeps {
  loyalty: MongoLoyaltyRepository;
  accounts: AccountsRepository;
  factors: Pick<FactorsRepository, 'listRecoveryCodes' | 'replaceRecoveryCodes'>;
}

export class MongoMergesRepository implements MergesRepository {
  private readonly connection: Connection;
  private readonly deps: MongoMergeDeps;

  private constructor(connection: Connection, deps: MongoMergeDeps) {
    this.connection = connection;
    this.deps = deps;
  }

  static async open(connection: Connection, deps: MongoMergeDeps): Promise<MongoMergesRepository> {
    const store = new MongoMergesRepository(connection, deps);
    // One index per call, as indexes.ts does. absorbedId unique: a member is absorbed once, even by racing merges.
    await store.collection<MergeDoc>('member_merges').createIndex({ absorbedId: 1 }, { name: 'absorbedId_1', unique: true });
    await store.collection<MergeDoc>('member_merges').createIndex({ requestKey: 1 }, { name: 'requestKey_1', unique: true });
    await store.collection<MergeDoc>('member_merges').createIndex({ survivorId: 1 }, { name: 'survivorId_1' });
    await store.collection<MergeDoc>('member_merges').createIndex({ status: 1, createdAt: 1 }, { name: 'status_1_createdAt_1' });
    await store.collection<RedirectDoc>('merged_subjects').createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    return store;
  }

  private collection<T extends { _id: string }>(name: string) {
    const db = this.connection.db;
    if (!db) throw new Error('MongoDB storage is not connected');
    return db.collection<T>(name);
  }

  async apply(plan: MergePlan): Promise<ApplyResult> {
    const merges = this.collection<MergeDoc>('member_merges');
    let doc = await merges.findOne({ requestKey: plan.requestKey });
    if (doc) {
      if (doc.survivorId !== plan.survivorId || doc.absorbedId !== plan.absorbedId) return { ok: false, reason: 'request_key_reused' };
      if (doc.status === 'done') return { ok: true, record: toRecord(doc), replayed: true };
    } else {
      const started = await this.start(plan);
      if ('refused' in started) return { ok: false, reason: started.refused };
      doc = started;
    }
    await this.runSteps(doc, plan.events);
    const done = await merges.findOne({ _id: doc._id });
    if (!done) throw new Error(`merge ${doc._id} vanished`);
    return { ok: true, record: toRecord(done), replayed: false };
  }

  /** Checks the pair and writes the pending record; the unique absorbedId and requestKey settle races. */
  private async start(plan: MergePlan): Promise<MergeDoc | { refused: MergeRefusal }> {
    const { survivorId: s, absorbedId: a } = plan;
    if (s === a) return { refused: 'same_member' };
    const merges = this.collection<MergeDoc>('member_merges');
    if (await merges.findOne({ absorbedId: { $in: [s, a] } })) return { refused: 'already_merged' };
    const accounts = this.collection<AccountDoc>('accounts');
    const [survivor, absorbed] = await Promise.all([accounts.findOne({ _id: s }), accounts.findOne({ _id: a })]);
    if (!survivor || !absorbed) return { refused: 'unknown_member' };
    if (!(await this.collection<KeyedDoc>('loyalty_members').findOne({ _id: s }))) return { refused: 'unknown_member' };
    if (await this.collection<KeyedDoc>('held_redemptions').findOne({ accountId: a, status: { $in: ['pending', 'held'] } })) return { refused: 'pending_review' };
    const moves = identifierMoves({ ...survivor, phone: survivor.phone ?? null }, { ...absorbed, phone: absorbed.phone ?? null });
    const doc: MergeDoc = {
      _id: plan.id, survivorId: s, absorbedId: a, requestKey: plan.requestKey, initiatedBy: plan.initiatedBy, proof: plan.proof, reason: plan.reason,
      status: 'pending', subjects: plan.subjects, redirectUntil: plan.redirectUntil, pointsMoved: 0, lifetimeCarried: 0, createdAt: plan.at, completedAt: null,
      carry: {
        email: moves.email ? absorbed.email : null,
        phone: moves.phone ? (absorbed.phone ?? null) : null,
        passwordHash: moves.password ? absorbed.passwordHash : null,
        passwordFromMailboxAt: moves.password ? (absorbed.passwordFromMailboxAt ?? null) : null,
      },
    };
    try {
      await merges.insertOne(doc);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // A twin request with this key, or a merge of this member that won the race.
      const twin = await merges.findOne({ requestKey: plan.requestKey });
      if (twin) return twin.survivorId === s && twin.absorbedId === a ? twin : { refused: 'request_key_reused' };
      return { refused: 'already_merged' };
    }
    return doc;
  }

  private async runSteps(doc: MergeDoc, events: readonly DomainEvent[]): Promise<void> {
    const { survivorId: s, absorbedId: a } = doc;
    // The absorbed ledger first refuses every post but the merge's own, then gives its points to the survivor.
    await this.collection<KeyedDoc>('loyalty_members').updateOne({ _id: a }, { $set: { mergedInto: s } });
    await this.drain(doc);
    await this.moveIdentifiers(doc);
    // Factors, passkeys and linked upstream identities are keyed by their own ids: they move as they are.
    for (const name of ['factors', 'passkeys', 'federated_identities']) await this.collection<KeyedDoc>(name).updateMany({ accountId: a }, { $set: { accountId: s } });
    // Recovery codes only when the survivor has none (two sets would mix two printouts); the others go.
    if ((await this.deps.factors.listRecoveryCodes(s)).length === 0) {
      const unused = (await this.deps.factors.listRecoveryCodes(a)).filter((code) => code.usedAt === null).map((code) => code.codeHash);
      if (unused.length > 0) await this.deps.factors.replaceRecoveryCodes(s, unused);
    }
    await this.collection<KeyedDoc>('recovery_codes').deleteMany({ accountId: a });
    // Devices, client consents and client uses are keyed by (account, device or client): the survivor's wins.
    await this.movePairs('known_devices', a, s, 'deviceHash');
    await this.movePairs('member_consents', a, s, 'clientId');
    await this.movePairs('member_client_uses', a, s, 'clientId');
    await this.collection<KeyedDoc>('imported_member_claims').updateMany({ accountId: a }, { $set: { accountId: s } });
    await this.collection<KeyedDoc>('imported_members').updateMany({ claimedBy: a }, { $set: { claimedBy: s } });
    await this.moveProfile(a, s, doc.createdAt);
    await this.moveConsents(doc);
    await this.moveLinks(doc);
    for (const name of ['member_exports', 'staff_claims']) await this.collection<KeyedDoc>(name).deleteMany({ accountId: a });
    for (const name of ['erasure_requests', 'staff_roles']) await this.collection<KeyedDoc>(name).deleteOne({ _id: a });
    // Again (a no-op but on a resume): nothing but the merge's own entries follows the closing entry on the absorbed
    // ledger, so this only finds what the first drain left, and gives the totals the record keeps.
    const ledger = await this.drain(doc);
    // member.merged once everything moved (its id derives from the merge: written again on a resume, kept once).
    await insertReadyEvents(this.connection.model<EventDoc>('OutboxEvent'), events);
    await this.collection<MergeDoc>('member_merges').updateOne(
      { _id: doc._id, status: 'pending' },
      { $set: { status: 'done', completedAt: new Date(), pointsMoved: ledger.moved, lifetimeCarried: ledger.carried, carry: null } },
    );
  }

  /**
   * Moves the absorbed member's balance with one `adjust` on each side (keys merge:<id>:out and :in), 0 points when
   * it has none. The out entry closes the absorbed ledger across processes: a post from another instance that
   * passed the freeze check before the merge froze the member can only append before it (its points are then
   * moved) and is refused after it (loyalty.ts checks the entry it appends after), so no acknowledged post's points
   * stay on the tombstone. A post that lands between the balance read and the out entry leaves points over: the
   * next round moves them with another pair (:out:<n>, :in:<n>). Each out entry gets its in twin (also on a
   * resume), and the survivor's entry carries the lifetime its out entry saw beyond the points moved and the points
   * left over, so lifetimes add up (each point once) even when the absorbed balance was 0.
   */
  private async drain(doc: MergeDoc): Promise<{ moved: number; carried: number }> {
    const { survivorId: s, absorbedId: a } = doc;
    const keys = mergeLedgerKeys(doc._id);
    const entries = this.collection<LedgerEntryDoc>('ledger_entries');
    for (let round = 0; round < DRAIN_ROUNDS; round += 1) {
      const outs = (await entries.find({ accountId: a, idempotencyKey: { $regex: `^merge:${doc._id}:out` } }).toArray()).sort((x, y) => x.sequence - y.sequence);
      let moved = 0;
      let carried = 0;
      for (const out of outs) {
        const points = 0 - out.points; // not -out.points: a closing entry of 0 points would give -0
        // After this pair the survivor holds the absorbed lifetime but for what is still in the absorbed balance (a
        // later pair moves that, as points that count as earned): only that difference is carried, never twice.
        const carry = Math.max(0, out.lifetimeAfter - out.balanceAfter - moved - carried - points);
        const into = await this.deps.loyalty.post({
          accountId: s, kind: 'adjust', points, partnerId: null, reason: MERGE_ENTRY_REASON, idempotencyKey: out.idempotencyKey.replace(':out', ':in'),
          requestHash: keys.hash, lifetimeCarried: carry, merging: true,
        });
        if (!into.ok) throw new Error(`merge ${doc._id}: the survivor's ledger refused the points (${into.reason})`);
        moved += points;
        carried += carry;
      }
      const member = await this.deps.loyalty.findMember(a);
      // Not a loyalty member: no ledger to close, nothing to move or carry.
      if (!member) return { moved, carried };
      // Done once the ledger is closed (an out entry is in) and empty.
      if (member.balance === 0 && outs.length > 0) return { moved, carried };
      const balance = member.balance;
      const out = await this.deps.loyalty.post({
        accountId: a, kind: 'adjust', points: 0 - balance, partnerId: null, reason: MERGE_ENTRY_REASON, idempotencyKey: outs.length === 0 ? keys.out : `${keys.out}:${outs.length}`,
        requestHash: keys.hash, merging: true,
      });
      // Short (a redemption that was in flight took points meanwhile): the next round looks again.
      if (!out.ok && out.reason !== 'insufficient_points') throw new Error(`merge ${doc._id}: the absorbed ledger refused the adjust (${out.reason})`);
    }
    throw new DomainError('conflict', 'the absorbed member\'s points kept moving; the merge resumes later');
  }

  /** The absorbed account goes (freeing its email and phone), then the survivor takes what the record says. */
  private async moveIdentifiers(doc: MergeDoc): Promise<void> {
    const { survivorId: s, absorbedId: a } = doc;
    await this.deps.accounts.delete(a);
    const carry = doc.carry;
    if (!carry) return;
    const taken = async (write: () => Promise<unknown>) => {
      try {
        await write();
      } catch (error) {
        // Someone took the freed address or number in between: the survivor keeps its own (it lacked only this).
        if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
      }
    };
    if (carry.email) await taken(() => this.deps.accounts.setEmail(s, carry.email!));
    if (carry.phone) await taken(() => this.deps.accounts.setPhone(s, carry.phone));
    if (carry.passwordHash) await this.deps.accounts.update(s, { passwordHash: carry.passwordHash, passwordFromMailboxAt: carry.passwordFromMailboxAt });
  }

  /** Re-keys (account, `field`) documents to the survivor: inserted unless the survivor has one, then the old one goes. */
  private async movePairs(name: string, from: string, to: string, field: string): Promise<void> {
    const collection = this.collection<KeyedDoc>(name);
    for (const doc of await collection.find({ accountId: from }).toArray()) {
      const second = doc[field];
      if (typeof second !== 'string') continue;
      const { _id: _old, ...rest } = doc;
      try {
        await collection.updateOne({ _id: pairId(to, second) }, { $setOnInsert: { ...rest, accountId: to } }, { upsert: true });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      await collection.deleteOne({ _id: doc._id });
    }
  }

  /** The survivor's values win, its gaps are filled; sign-in counts add up. */
  private async moveProfile(from: string, to: string, at: Date): Promise<void> {
    const fields = this.collection<ProfileFieldDoc>('profile_fields');
    const asRecord = (docs: ProfileFieldDoc[]) => Object.fromEntries(docs.map((doc) => [doc.name, { value: doc.value }]));
    const gaps = profileGaps(asRecord(await fields.find({ accountId: to }).toArray()), asRecord(await fields.find({ accountId: from }).toArray()));
    for (const [name, value] of Object.entries(gaps)) {
      await fields.updateOne({ _id: fieldId(to, name) }, { $set: { value, skippedAt: null, updatedAt: at }, $setOnInsert: { accountId: to, name } }, { upsert: true });
    }
    await fields.deleteMany({ accountId: from });
    const signIns = this.collection<{ _id: string; count: number }>('profile_sign_ins');
    // Taken off the absorbed member first: a crash in between loses a count (a hint for the profile's timing), never doubles it.
    const gone = await signIns.findOneAndDelete({ _id: from });
    if (gone && gone.count > 0) await signIns.updateOne({ _id: to }, { $inc: { count: gone.count } }, { upsert: true });
  }

  /** The stricter answer wins, recorded on the survivor under ids derived from the merge (a resume writes them once). */
  private async moveConsents(doc: MergeDoc): Promise<void> {
    const records = this.collection<PurposeConsentRecordDoc>('purpose_consent_records');
    const history = async (id: string) => (await records.find({ accountId: id }).toArray()).sort((x, y) => x.at.getTime() - y.at.getTime() || x.seq - y.seq);
    const changes = consentChanges(latestAnswers(await history(doc.survivorId)), latestAnswers(await history(doc.absorbedId)));
    if (changes.length === 0) return;
    const receiptId = `merge:${doc._id}`;
    const at = doc.createdAt;
    await this.collection<KeyedDoc>('purpose_consent_receipts').updateOne(
      { _id: receiptId },
      { $setOnInsert: { accountId: doc.survivorId, issuedAt: at, jws: null, decisions: changes, method: 'merge' } },
      { upsert: true },
    );
    for (const [seq, change] of changes.entries()) {
      await records.updateOne(
        { _id: `${receiptId}:${change.purpose}` },
        { $setOnInsert: { accountId: doc.survivorId, purpose: change.purpose, version: change.version, granted: change.granted, at, channel: 'web', clientId: null, method: 'merge', receiptId, seq } },
        { upsert: true },
      );
    }
  }

  /** Each partner link of the absorbed member becomes the survivor's (its own link and scope win); old subs redirect. */
  private async moveLinks(doc: MergeDoc): Promise<void> {
    const links = this.collection<PartnerLinkDoc>('partner_member_links');
    const redirects = this.collection<RedirectDoc>('merged_subjects');
    for (const move of doc.subjects) {
      const link = await links.findOne({ _id: linkId(move.partnerId, move.oldSubject) });
      if (link) {
        await links.updateOne(
          { _id: linkId(move.partnerId, move.newSubject) },
          { $setOnInsert: { partnerId: move.partnerId, subject: move.newSubject, accountId: doc.survivorId, scope: link.scope, linkedAt: link.linkedAt, updatedAt: doc.createdAt } },
          { upsert: true },
        );
      }
      const redirectId = `${move.partnerId}\0${move.oldSubject}`;
      await redirects.replaceOne({ _id: redirectId }, { partnerId: move.partnerId, oldSubject: move.oldSubject, newSubject: move.newSubject, mergeId: doc._id, expiresAt: doc.redirectUntil }, { upsert: true });
    }
    await links.deleteMany({ accountId: doc.absorbedId });
  }

  async findByAbsorbed(absorbedId: string): Promise<MergeRecord | undefined> {
    const doc = await this.collection<MergeDoc>('member_merges').findOne({ absorbedId });
    return doc ? toRecord(doc) : undefined;
  }

  async findByRequestKey(requestKey: string): Promise<MergeRecord | undefined> {
    const doc = await this.collection<MergeDoc>('member_merges').findOne({ requestKey });
    return doc ? toRecord(doc) : undefined;
  }

  async listBySurvivor(survivorId: string): Promise<MergeRecord[]> {
    const docs = await this.collection<MergeDoc>('member_merges').find({ survivorId }).toArray();
    return docs.map(toRecord).sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || x.id.localeCompare(y.id));
  }

  async findSubjectRedirect(partnerId: string, subject: string, now: Date): Promise<string | undefined> {
    const doc = await this.collection<RedirectDoc>('merged_subjects').findOne({ _id: `${partnerId}\0${subject}` });
    // Every read checks expiry: the sweep is lazy.
    return doc && doc.expiresAt > now ? doc.newSubject : undefined;
  }

  async sweepExpiredRedirects(now: Date): Promise<number> {
    return (await this.collection<RedirectDoc>('merged_subjects').deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  }

  async listPending(olderThan: Date, limit: number): Promise<MergeRecord[]> {
    const docs = await this.collection<MergeDoc>('member_merges').find({ status: 'pending', createdAt: { $lt: olderThan } }).sort({ createdAt: 1 }).limit(limit).toArray();
    return docs.map(toRecord);
  }
}
