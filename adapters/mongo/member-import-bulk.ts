// The bulk path of a Mongo member import: a batch's new members written with a few insertMany calls per collection
// (round trips per batch, not per member), in an order that needs no transaction. A pending record names the batch
// first; the account, the one document a member signs in with, is written after everything it needs, and its events
// after it. A kill leaves documents nobody can reach (or accounts without their events): the resumed run, or after
// a grace period any run, settles the record (deletes the former, writes the latter) before writing anything.
import { randomUUID } from 'node:crypto';
import type { Collection, Db, Document, OptionalUnlessRequiredId } from 'mongodb';
import type { NewImportMember, NewImportResult } from '../../server/domain/accounts/member-import-store.ts';
import { testPauseInBulkBatch } from '../../server/domain/accounts/import-test-seam.ts';
import { ledgerEvents, memberCreatedEvent, phoneVerifiedEvent, type DomainEvent } from '../../server/domain/events/domain-event.ts';
import { importedLedger } from '../../server/domain/accounts/imported-ledger.ts';
import { assertValidMember } from '../../server/domain/loyalty/ledger-rules.ts';
import { toDoc } from './events.ts';
import { isDuplicateKey } from './errors.ts';
import { entryId } from './ledger-heads.ts';
import type { AccountDoc, EventDoc, IdentifierDoc, LedgerEntryDoc, LedgerKeyDoc, LoyaltyMemberDoc, ProfileFieldDoc } from './models.ts';

/** A batch being written: its members' documents exist only in part until their accounts are in. */
interface PendingBatchDoc {
  _id: string;
  /** The run's checkpoint key: its own resumed run finishes the batch at once. */
  key: string;
  accountIds: string[];
  createdAt: Date;
}

interface MemberDataDoc {
  _id: string;
  data: string;
  updatedAt: Date;
}

/**
 * How old another run's pending batch must be before this run deletes what it left: younger, that run may still be
 * writing it (the same grace identifier claims get in claims.ts).
 */
const PENDING_GRACE_MS = 5 * 60 * 1000;
/** Draws of an issued member number that another member holds before the batch gives up (1 in 10^10 each). */
const NUMBER_ATTEMPTS = 5;
const BELONGS_TO_ANOTHER = 'belongs to another member';

const emailId = (email: string) => `email:${email}`;
const phoneId = (phone: string) => `phone:${phone}`;
const cardId = (memberNumber: string) => `card:${memberNumber}`;
const fieldId = (accountId: string, name: string) => `${accountId}\0${name}`;

/**
 * insertMany({ordered:false}): every document is tried; returns the indexes refused for a taken unique key. Any other
 * refusal is thrown (the batch stops: the run reports it, and a re-run finishes what is pending).
 */
async function insertAll<T extends Document>(collection: Collection<T>, docs: Array<OptionalUnlessRequiredId<T>>): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await collection.insertMany(docs, { ordered: false });
    return new Set();
  } catch (error) {
    const { writeErrors } = error as { writeErrors?: unknown };
    const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as Array<{ index: number; code?: number }>;
    if (list.length === 0 || list.some((writeError) => !isDuplicateKey(writeError))) throw error;
    return new Set(list.map((writeError) => writeError.index));
  }
}

/** One new member's documents, by collection, as the row-by-row path leaves them (adapters/mongo/*.ts). */
interface MemberDocs {
  member: NewImportMember;
  memberNumber: string;
  /** Whether the number came from the file (refused when taken) or the allocator (drawn again). */
  kept: boolean;
  account: AccountDoc;
  loyalty: LoyaltyMemberDoc;
  fields: ProfileFieldDoc[];
  entries: LedgerEntryDoc[];
  keys: LedgerKeyDoc[];
  data: MemberDataDoc | null;
  events: EventDoc[];
}

export class MongoMemberImportBulk {
  private readonly db: Db;
  /** Bulk writes so far in this process (the test seam pauses in the Nth). */
  private batches = 0;
  /** Run keys whose leftovers this process has settled (once per run, at its first batch). */
  private readonly swept = new Set<string>();

  constructor(db: Db) {
    this.db = db;
  }

  private get pending() { return this.db.collection<PendingBatchDoc>('import_pending_batches'); }
  private get identifiers() { return this.db.collection<IdentifierDoc>('identifiers'); }
  private get accounts() { return this.db.collection<AccountDoc>('accounts'); }

  async insertNewMembers(members: readonly NewImportMember[], issueNumber: () => string, runKey: string): Promise<NewImportResult[]> {
    if (members.length === 0) return [];
    const now = new Date();
    if (!this.swept.has(runKey)) {
      // A killed run of this key, and any run's batch older than the grace, left documents nobody can reach: they
      // go before this run writes, whether or not its rows name them (a resumed run may batch its rows otherwise).
      for (const batch of await this.pending.find({ $or: [{ key: runKey }, { createdAt: { $lt: new Date(now.getTime() - PENDING_GRACE_MS) } }] }).toArray()) {
        await this.settle(batch);
      }
      this.swept.add(runKey);
    }
    const results: NewImportResult[] = members.map(() => 'imported');
    const writing = new Map<number, MemberDocs>();
    members.forEach((m, i) => writing.set(i, this.documents(m, m.memberNumber ?? issueNumber(), m.memberNumber !== undefined, now)));
    const batchId = randomUUID();
    await this.pending.insertOne({ _id: batchId, key: runKey, accountIds: [...writing.values()].map((d) => d.account._id), createdAt: now });

    // 1. The claims decide who is new, with no look-up first: a unique _id refuses a taken email, number or phone (an
    // $in look-up of a batch is a scan per value on FerretDB 1.24, which does not use the _id index for $in).
    await this.claim(writing, results, issueNumber, now);

    // 2. The rest of each member, which nothing reaches before its account exists.
    const docs = [...writing.values()];
    const refused = await Promise.all([
      insertAll(this.db.collection<LoyaltyMemberDoc>('loyalty_members'), docs.map((d) => d.loyalty)),
      insertAll(this.db.collection<ProfileFieldDoc>('profile_fields'), docs.flatMap((d) => d.fields)),
      insertAll(this.db.collection<LedgerEntryDoc>('ledger_entries'), docs.flatMap((d) => d.entries)),
      insertAll(this.db.collection<LedgerKeyDoc>('ledger_keys'), docs.flatMap((d) => d.keys)),
      insertAll(this.db.collection<MemberDataDoc>('member_import_data'), docs.flatMap((d) => (d.data ? [d.data] : []))),
    ]);
    // Fresh account ids and claimed numbers: a refusal here means the store holds what it should not.
    if (refused.some((set) => set.size > 0)) throw new Error('the store refused documents of new members as duplicates');

    this.batches += 1;
    await this.testPause('accounts');

    // 3. The accounts: from here a member can sign in, with everything already there.
    const order = [...writing.keys()];
    const lost = await insertAll(this.accounts, order.map((i) => writing.get(i)!.account));
    if (lost.size > 0) {
      // An account with the email exists though its claim was this batch's (a claim lost since): that row updates.
      const losers = [...lost].map((index) => order[index]!);
      await this.remove(losers.map((i) => writing.get(i)!.account._id));
      for (const i of losers) {
        results[i] = 'existing';
        writing.delete(i);
      }
    }

    await this.testPause('events');
    // 4. The events, ready to go out: after the accounts, so none announces a member that is not there. A kill
    // before they are in leaves the pending record, whose settling writes them from the stored documents.
    await insertAll(this.db.collection<EventDoc>('events'), [...writing.values()].flatMap((d) => d.events));
    await this.pending.deleteOne({ _id: batchId });
    return results;
  }

  /** The crash tests' seam (import-test-seam.ts): stops this process for good before `step` of the chosen batch. */
  private async testPause(step: 'accounts' | 'events'): Promise<void> {
    const pause = testPauseInBulkBatch();
    if (pause?.batch !== this.batches || pause.before !== step) return;
    process.stderr.write(`paused before the ${step} of bulk batch ${this.batches} (IMPORT_TEST_PAUSE_IN_BULK_BATCH)\n`);
    await new Promise<never>(() => undefined);
  }

  /**
   * Claims each member's email, then the number and phone of those whose email was free. A claim refused as taken:
   * the email makes the row go the row-by-row way (its member exists, or a racing writer created it: an update), a
   * kept number or a phone a row error, an issued number is drawn again. A member that cannot be written gives
   * back the claims it got and leaves `writing`.
   */
  private async claim(writing: Map<number, MemberDocs>, results: NewImportResult[], issueNumber: () => string, now: Date): Promise<void> {
    const claimOf = (id: string, d: MemberDocs): IdentifierDoc => ({ _id: id, accountId: d.account._id, createdAt: now });
    const byEmail = [...writing.keys()];
    for (const index of await insertAll(this.identifiers, byEmail.map((i) => claimOf(emailId(writing.get(i)!.member.email), writing.get(i)!)))) {
      results[byEmail[index]!] = 'existing';
    }
    for (const i of byEmail) if (results[i] !== 'imported') writing.delete(i);

    const claims: Array<{ i: number; kind: 'card' | 'phone'; doc: IdentifierDoc }> = [];
    for (const [i, d] of writing) {
      claims.push({ i, kind: 'card', doc: claimOf(cardId(d.memberNumber), d) });
      if (d.member.phone) claims.push({ i, kind: 'phone', doc: claimOf(phoneId(d.member.phone), d) });
    }
    const taken = new Set<string>();
    let redraw: number[] = [];
    for (const index of await insertAll(this.identifiers, claims.map((c) => c.doc))) {
      const { i, kind, doc } = claims[index]!;
      taken.add(doc._id);
      if (kind === 'phone') results[i] = { field: 'phone_number', message: BELONGS_TO_ANOTHER };
      else if (writing.get(i)!.kept) results[i] = { field: 'member_number', message: BELONGS_TO_ANOTHER };
      else redraw.push(i);
    }
    for (let attempt = 0; redraw.length > 0; attempt += 1) {
      if (attempt === NUMBER_ATTEMPTS) throw new Error('could not issue member numbers');
      const drawn = redraw.filter((i) => results[i] === 'imported');
      // Same account id: only the number and the documents that carry it change.
      for (const i of drawn) writing.set(i, this.documents(writing.get(i)!.member, issueNumber(), false, now));
      const refused = await insertAll(this.identifiers, drawn.map((i) => claimOf(cardId(writing.get(i)!.memberNumber), writing.get(i)!)));
      redraw = drawn.filter((_, index) => refused.has(index));
    }
    const failed = [...writing.keys()].filter((i) => results[i] !== 'imported');
    if (failed.length === 0) return;
    // Only the claims these members got: their email, and whichever of number and phone was not refused.
    const given = failed.flatMap((i) => {
      const d = writing.get(i)!;
      return [emailId(d.member.email), cardId(d.memberNumber), ...(d.member.phone ? [phoneId(d.member.phone)] : [])]
        .filter((id) => !taken.has(id))
        .map((id) => ({ _id: id, accountId: d.account._id }));
    });
    await Promise.all(given.map((filter) => this.identifiers.deleteOne(filter)));
    for (const i of failed) writing.delete(i);
  }

  /**
   * Finishes a pending batch: a member whose account is in keeps everything and gets its events (rebuilt from its
   * documents, with the ids they had: derived ids are kept once); the others' documents go.
   */
  private async settle(batch: PendingBatchDoc): Promise<void> {
    const ids = { $in: batch.accountIds };
    const accounts = await this.accounts.find({ _id: ids }).toArray();
    const written = accounts.map((account) => account._id);
    if (written.length > 0) {
      const members = await this.db.collection<LoyaltyMemberDoc>('loyalty_members').find({ _id: { $in: written } }).toArray();
      const entries = await this.db.collection<LedgerEntryDoc>('ledger_entries').find({ accountId: { $in: written } }).toArray();
      const events: DomainEvent[] = [
        ...members.map((m) => memberCreatedEvent({ accountId: m._id, memberNumber: m.memberNumber, enrolmentChannel: m.enrolmentChannel, balance: 0, lifetimePoints: 0, createdAt: m.createdAt }, 'import')),
        ...accounts.filter((a) => a.phone).map((a) => phoneVerifiedEvent(a._id, a.contactChangedAt ?? a.createdAt)),
        ...entries.flatMap(({ _id: id, ...rest }) => ledgerEvents({ id, ...rest, partnerId: rest.partnerId ?? null })),
      ];
      // A phone_verified event has a random id: one already there (the kill came after the events) is not doubled.
      const withPhone = new Set((await this.db.collection<EventDoc>('events').find({ memberId: { $in: written }, type: 'member.phone_verified' }, { projection: { memberId: 1 } }).toArray()).map((e) => e.memberId));
      await insertAll(this.db.collection<EventDoc>('events'), events
        .filter((event) => !(event.type === 'member.phone_verified' && withPhone.has(event.memberId)))
        .map((event) => toDoc(event, 'ready', null)));
    }
    const present = new Set(written);
    await this.remove(batch.accountIds.filter((id) => !present.has(id)));
    // Last: a kill while settling leaves the record, and settling again does the rest.
    await this.pending.deleteOne({ _id: batch._id });
  }

  /** Deletes every document of members whose account was never written (claims last: they guard the rest). */
  private async remove(accountIds: string[]): Promise<void> {
    if (accountIds.length === 0) return;
    const ids = { $in: accountIds };
    await Promise.all([
      this.db.collection<LoyaltyMemberDoc>('loyalty_members').deleteMany({ _id: ids }),
      this.db.collection<ProfileFieldDoc>('profile_fields').deleteMany({ accountId: ids }),
      this.db.collection<LedgerEntryDoc>('ledger_entries').deleteMany({ accountId: ids }),
      this.db.collection<LedgerKeyDoc>('ledger_keys').deleteMany({ accountId: ids }),
      this.db.collection<MemberDataDoc>('member_import_data').deleteMany({ _id: ids }),
    ]);
    await this.identifiers.deleteMany({ accountId: ids });
  }

  /**
   * The documents the row-by-row path leaves on a new member (accounts.ts create + setPhone, loyalty.ts createMember
   * + post, profiles.ts update, member-imports.ts saveMemberData), with the mongoose defaults those writes apply.
   * Events are written ready, after the account; no member.profile_updated (as on SQLite's bulk path: the member is
   * created with its profile, which member.created says).
   */
  private documents(member: NewImportMember, memberNumber: string, kept: boolean, now: Date): MemberDocs {
    const { accountId, enrolmentChannel, phone } = member;
    assertValidMember({ accountId, memberNumber, enrolmentChannel });
    const events: DomainEvent[] = [memberCreatedEvent({ accountId, memberNumber, enrolmentChannel, balance: 0, lifetimePoints: 0, createdAt: now }, 'import')];
    if (phone) events.push(phoneVerifiedEvent(accountId, now));
    const entries: LedgerEntryDoc[] = [];
    const keys: LedgerKeyDoc[] = [];
    for (const entry of importedLedger(accountId, member.entries)) {
      const { sequence } = entry;
      const doc: LedgerEntryDoc = {
        _id: entryId(accountId, sequence), accountId, sequence, kind: 'adjust', points: entry.points, balanceAfter: entry.balanceAfter, lifetimeAfter: entry.lifetimeAfter,
        partnerId: null, reason: entry.reason, idempotencyKey: entry.idempotencyKey, requestHash: entry.requestHash, createdAt: now,
      };
      entries.push(doc);
      keys.push({ _id: entry.idempotencyKey, requestHash: entry.requestHash, accountId, status: 'applied', entryId: doc._id, createdAt: now });
      const { _id: id, ...rest } = doc;
      events.push(...ledgerEvents({ id, ...rest }));
    }
    return {
      member,
      memberNumber,
      kept,
      account: {
        _id: accountId, email: member.email, emailVerified: member.emailVerified, phone: phone ?? null, passwordHash: member.passwordHash,
        createdAt: now, updatedAt: now, credentialsChangedAt: null, contactChangedAt: phone ? now : null, passwordFromMailboxAt: null,
      },
      loyalty: { _id: accountId, memberNumber, enrolmentChannel, createdAt: now, headHint: 0, mergedInto: null },
      fields: Object.entries(member.profile).map(([name, value]) => ({ _id: fieldId(accountId, name), accountId, name, value, skippedAt: null, updatedAt: now })),
      entries,
      keys,
      data: member.data ? { _id: accountId, data: JSON.stringify(member.data), updatedAt: now } : null,
      events: events.map((event) => toDoc(event, 'ready', null)),
    };
  }
}
