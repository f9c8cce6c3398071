// Likely duplicate members for staff (issue 21 item 1): pairs of live members that look like one person, with why.
// The scan walks accounts in id order, a bounded batch per page, and asks only indexed questions about each
// (a phone, a claimed card, a birthdate), so a page costs O(batch × log n) and the whole list O(n log n), never
// a pass over every member for each member.
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { DomainError } from '../errors.ts';
import type { LoyaltyRepository } from '../loyalty/loyalty.repository.ts';
import type { DuplicatesRepository, IdentityFields } from './duplicates.repository.ts';

/**
 * - `phone`: one member's verified phone is the contact phone of a card another member claimed (one signed up by
 *   email and claimed their card, the other enrolled by phone at a kiosk);
 * - `name_birthdate_postcode`: the same given and family name, birthdate and postcode, compared without case,
 *   accents or spacing;
 * - `card`: a card one member claimed carries the member number of another (an imported member kept its number).
 */
export type DuplicateReason = 'phone' | 'name_birthdate_postcode' | 'card';

export interface DuplicatePair {
  /** The two account ids, the lower first. */
  members: [string, string];
  reasons: DuplicateReason[];
}

export interface DuplicatePage {
  pairs: DuplicatePair[];
  /** Opaque: pass as `cursor` for the next page; null once every member was looked at. */
  next: string | null;
}

export interface DuplicateMembersDeps {
  duplicates: DuplicatesRepository;
  accounts: Pick<AccountsRepository, 'findById'>;
  loyalty: Pick<LoyaltyRepository, 'findMemberByNumber'>;
  /**
   * Whether an account id is a tombstone (erased or merged into another). Erased accounts are gone from the
   * accounts store already; this answers for the rest (merged members), so neither side of a pair is one.
   */
  isTombstone?: (accountId: string) => Promise<boolean>;
}

export const MAX_DUPLICATE_PAGE = 100;
/** Accounts looked at per page at most: a page of few pairs still answers in bounded time, with a cursor. */
const SCAN_BUDGET = 500;
const BATCH = 100;
/** Members sharing one birthdate compared at most per member: a bound on the cost of a very common date. */
const SAME_BIRTHDATE_CAP = 500;

/** Case, accents and spacing do not tell people apart: "  José  Núñez" and "jose nunez" are one name. */
export function normaliseIdentityText(value: string): string {
  return value.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Name + birthdate + postcode as one comparable key, or undefined when any part is missing. */
export function identityKey(fields: IdentityFields | undefined): string | undefined {
  if (!fields?.givenName || !fields.familyName || !fields.birthdate || !fields.postcode) return undefined;
  const name = normaliseIdentityText(`${fields.givenName} ${fields.familyName}`);
  const postcode = normaliseIdentityText(fields.postcode).replace(/ /g, '');
  return `${name}\0${fields.birthdate.trim()}\0${postcode}`;
}

function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return '';
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('d:')) throw new DomainError('invalid_input', 'invalid query', { details: { fields: { cursor: 'is not a cursor this list returned' } } });
  return decoded.slice(2);
}

export class DuplicateMembers {
  private readonly deps: DuplicateMembersDeps;

  constructor(deps: DuplicateMembersDeps) {
    this.deps = deps;
  }

  async list(options: { limit: number; cursor?: string }): Promise<DuplicatePage> {
    const limit = Math.min(Math.max(options.limit, 1), MAX_DUPLICATE_PAGE);
    let after = decodeCursor(options.cursor);
    const found = new Map<string, DuplicatePair>();
    let scanned = 0;
    for (;;) {
      const batch = await this.deps.duplicates.accountsAfter(after, Math.min(BATCH, SCAN_BUDGET - scanned));
      if (batch.length === 0) return { pairs: [...found.values()], next: null };
      for (const pair of await this.pairsOf(batch)) {
        const key = pair.members.join('\0');
        const known = found.get(key);
        if (known) known.reasons = [...new Set([...known.reasons, ...pair.reasons])];
        else found.set(key, pair);
      }
      scanned += batch.length;
      after = batch.at(-1)!.id;
      // A page ends between batches, so a pair found for two reasons in one batch is one entry.
      if (found.size >= limit || scanned >= SCAN_BUDGET) return { pairs: [...found.values()], next: Buffer.from(`d:${after}`, 'utf8').toString('base64url') };
    }
  }

  /** The pairs each account of the batch starts; a pair is reported once, from the account that finds it. */
  private async pairsOf(batch: Array<{ id: string; phone: string | null }>): Promise<DuplicatePair[]> {
    const candidates: Array<{ a: string; b: string; reason: DuplicateReason }> = [];
    const ids = batch.map((account) => account.id);
    // Phone: from the member with the verified phone to the claimers of cards with that contact.
    for (const account of batch) {
      if (!account.phone) continue;
      for (const other of await this.deps.duplicates.cardClaimersByPhone(account.phone)) candidates.push({ a: account.id, b: other, reason: 'phone' });
    }
    // Card: from the claimer of a card to the member whose member number is that card's number.
    for (const claim of await this.deps.duplicates.cardsClaimedBy(ids)) {
      const member = await this.deps.loyalty.findMemberByNumber(claim.cardNumber);
      if (member) candidates.push({ a: claim.accountId, b: member.accountId, reason: 'card' });
    }
    // Name + birthdate + postcode: among the members born the same day, from the lower id only (so once).
    const fields = await this.deps.duplicates.identityFields(ids);
    for (const id of ids) {
      const mine = fields.get(id);
      const key = identityKey(mine);
      if (!key || !mine?.birthdate) continue;
      const others = (await this.deps.duplicates.accountsByBirthdate(mine.birthdate, SAME_BIRTHDATE_CAP)).filter((other) => other > id);
      if (others.length === 0) continue;
      const theirs = await this.deps.duplicates.identityFields(others);
      for (const other of others) if (identityKey(theirs.get(other)) === key) candidates.push({ a: id, b: other, reason: 'name_birthdate_postcode' });
    }
    const pairs: DuplicatePair[] = [];
    const live = new Map<string, boolean>();
    for (const { a, b, reason } of candidates) {
      if (a === b || !(await this.isLive(a, live)) || !(await this.isLive(b, live))) continue;
      const members: [string, string] = a < b ? [a, b] : [b, a];
      const same = pairs.find((pair) => pair.members[0] === members[0] && pair.members[1] === members[1]);
      if (same) {
        if (!same.reasons.includes(reason)) same.reasons.push(reason);
      } else pairs.push({ members, reasons: [reason] });
    }
    return pairs;
  }

  /** A member still there and not a tombstone (erased members are gone; merged ones are asked about). */
  private async isLive(accountId: string, cache: Map<string, boolean>): Promise<boolean> {
    const known = cache.get(accountId);
    if (known !== undefined) return known;
    const live = (await this.deps.accounts.findById(accountId)) !== undefined && !(await this.deps.isTombstone?.(accountId));
    cache.set(accountId, live);
    return live;
  }
}
