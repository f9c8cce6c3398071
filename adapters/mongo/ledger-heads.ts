// Where a Mongo member's ledger chain ends. A sorted query is a scan of the whole ledger on FerretDB (its cost
// grew from 1 to 200 ms over 2,400 entries in bench/earn-throughput.mjs), so the newest entry is found by _id
// look-ups instead: from the head this process last saw (or the member's headHint, written every few entries by
// whoever appends), forward until the next sequence is missing. Entries are never deleted and a head is
// recorded only after its insert, so a hint is never ahead of the truth, only behind it.
import type { Model } from 'mongoose';
import type { LedgerEntryDoc, LoyaltyMemberDoc, Models } from './models.ts';

const SEQUENCE_DIGITS = 12;
/** headHint is written every this many entries: other processes walk at most this far by _id. */
const HEAD_HINT_EVERY = 16;
const MAX_REMEMBERED_HEADS = 50_000;

/** An entry's _id: (member, sequence), so of concurrent appenders of one sequence the unique _id lets one win. */
export function entryId(accountId: string, sequence: number): string {
  return `${accountId}:${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
}

export class LedgerHeads {
  private readonly members: Model<LoyaltyMemberDoc>;
  private readonly entries: Model<LedgerEntryDoc>;
  /** The newest sequence this process saw per member: where the walk to the newest entry starts. */
  private readonly seen = new Map<string, number>();

  constructor(models: Pick<Models, 'loyaltyMembers' | 'ledgerEntries'>) {
    this.members = models.loyaltyMembers;
    this.entries = models.ledgerEntries;
  }

  /** The member's newest entry, or null for an empty ledger. */
  async newest(accountId: string): Promise<LedgerEntryDoc | null> {
    let sequence = this.seen.get(accountId);
    if (sequence === undefined) {
      const member = await this.members.findById(accountId).lean<LoyaltyMemberDoc>().exec();
      sequence = member?.headHint ?? 0;
      // A member from before headHint existed: one sorted query, then the walk takes over.
      if (!sequence) sequence = (await this.entries.findOne({ accountId }).sort({ sequence: -1 }).lean<LedgerEntryDoc>().exec())?.sequence ?? 0;
    }
    let current = sequence > 0 ? await this.entries.findById(entryId(accountId, sequence)).lean<LedgerEntryDoc>().exec() : null;
    for (;;) {
      const next = await this.entries.findById(entryId(accountId, sequence + 1)).lean<LedgerEntryDoc>().exec();
      if (!next) break;
      current = next;
      sequence += 1;
    }
    this.remember(accountId, sequence);
    return current;
  }

  /** After an append: this process knows the head; other processes learn it from headHint every few entries. */
  async advance(accountId: string, sequence: number): Promise<void> {
    this.remember(accountId, sequence);
    // $max keeps the hint from moving back; a lost write on FerretDB only leaves it further behind.
    if (sequence % HEAD_HINT_EVERY === 0) await this.members.updateOne({ _id: accountId }, { $max: { headHint: sequence } });
  }

  private remember(accountId: string, sequence: number): void {
    // Bounded: a busy process forgets heads rather than growing without limit (a miss costs one read).
    if (this.seen.size >= MAX_REMEMBERED_HEADS && !this.seen.has(accountId)) this.seen.clear();
    this.seen.set(accountId, sequence);
  }
}
