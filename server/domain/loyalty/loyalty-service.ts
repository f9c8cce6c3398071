// Loyalty use cases: every account is a member (created with it), tiers from lifetime points, the
// loyalty claims, and earning and redeeming points through the idempotent ledger.
import { hash } from 'node:crypto';
import { DomainError } from '../errors.ts';
import type { EnrolmentChannel, LedgerEntry, LedgerKind, LoyaltyRepository, Member, PostResult, SignUpMethod } from './loyalty.repository.ts';
import { generateMemberNumber } from './member-number.ts';

export type Tier = 'member' | 'silver' | 'gold' | 'platinum';

/** Lifetime points from which each tier starts, highest first. */
const TIERS: ReadonlyArray<readonly [Tier, number]> = [['platinum', 20_000], ['gold', 5_000], ['silver', 1_000], ['member', 0]];

export function tierFor(lifetimePoints: number): Tier {
  return TIERS.find(([, from]) => lifetimePoints >= from)?.[0] ?? 'member';
}

/** At most this many points in one entry: a typo of extra zeros is refused rather than applied. */
export const MAX_POINTS_PER_ENTRY = 1_000_000;
const NUMBER_ATTEMPTS = 5;

export interface LoyaltyClaims {
  member_number: string;
  tier: Tier;
  points_balance: number;
}

/** Hash of what a request asked, so a replay of its idempotency key can be told from a different request. */
export function requestHash(parts: Record<string, string | number | null>): string {
  const canonical = JSON.stringify(Object.keys(parts).sort().map((key) => [key, parts[key]]));
  return hash('sha256', canonical, 'base64url');
}

export interface PointsRequest {
  accountId: string;
  points: number;
  partnerId: string | null;
  reason: string;
  /** The caller's key, already scoped to the caller (see LedgerEntry.idempotencyKey). */
  idempotencyKey: string;
}

export class LoyaltyService {
  private readonly repository: LoyaltyRepository;

  constructor(repository: LoyaltyRepository) {
    this.repository = repository;
  }

  /** The account's member, created (with a fresh number) when it has none yet. Safe to call concurrently. */
  async ensureMember(accountId: string, channel: EnrolmentChannel = 'web', signUpMethod: SignUpMethod = 'other'): Promise<Member> {
    for (let attempt = 0; attempt < NUMBER_ATTEMPTS; attempt += 1) {
      const existing = await this.repository.findMember(accountId);
      if (existing) return existing;
      try {
        return await this.repository.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: channel, signUpMethod });
      } catch (error) {
        // Lost a race for this account (the loop finds the winner) or drew a taken number (draw again).
        if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
      }
    }
    throw new DomainError('conflict', 'could not create a member for this account');
  }

  async claims(accountId: string): Promise<LoyaltyClaims> {
    const member = await this.ensureMember(accountId);
    return { member_number: member.memberNumber, tier: tierFor(member.lifetimePoints), points_balance: member.balance };
  }

  earn(request: PointsRequest): Promise<PostResult> {
    return this.post('earn', request.points, request);
  }

  redeem(request: PointsRequest): Promise<PostResult> {
    return this.post('redeem', -request.points, request);
  }

  /**
   * A program adjustment (partner null) of points counted elsewhere, such as a claimed card's balance from
   * the old program: signed, and not held to MAX_POINTS_PER_ENTRY, which guards typed-in amounts.
   */
  adjust(request: PointsRequest): Promise<PostResult> {
    return this.append('adjust', request.points, request);
  }

  /**
   * What a redemption request hashes to (as redeem() stores it): a hold of the same request carries it, so a retry
   * the risk rules let through replays the hold, and a retry they hold replays the redemption.
   */
  redemptionHash(request: PointsRequest): string {
    return requestHash({ kind: 'redeem', points: request.points, partnerId: request.partnerId, reason: request.reason, accountId: request.accountId });
  }

  /** The entry written under an idempotency key, if any (so a recovery can tell a credit that went through). */
  entryByKey(idempotencyKey: string): Promise<LedgerEntry | undefined> {
    return this.repository.findEntryByKey(idempotencyKey);
  }

  history(accountId: string, limit = 50): Promise<LedgerEntry[]> {
    return this.repository.listEntries(accountId, { limit });
  }

  /** The member's newest entries posted by one partner (newest first), reading back at most `scanLimit` entries. */
  async partnerHistory(accountId: string, partnerId: string, limit = 50, scanLimit = 2000): Promise<LedgerEntry[]> {
    const found: LedgerEntry[] = [];
    let beforeSequence: number | undefined;
    for (let scanned = 0; found.length < limit && scanned < scanLimit;) {
      const page = await this.repository.listEntries(accountId, { limit: 200, ...(beforeSequence === undefined ? {} : { beforeSequence }) });
      for (const entry of page) if (entry.partnerId === partnerId && found.length < limit) found.push(entry);
      scanned += page.length;
      const last = page.at(-1);
      if (page.length < 200 || !last) break;
      beforeSequence = last.sequence;
    }
    return found;
  }

  private async post(kind: LedgerKind, signedPoints: number, request: PointsRequest): Promise<PostResult> {
    const magnitude = Math.abs(signedPoints);
    if (!Number.isSafeInteger(magnitude) || magnitude < 1 || magnitude > MAX_POINTS_PER_ENTRY) {
      throw new DomainError('invalid_input', `points must be a whole number from 1 to ${MAX_POINTS_PER_ENTRY}`);
    }
    return this.append(kind, signedPoints, request);
  }

  private append(kind: LedgerKind, signedPoints: number, request: PointsRequest): Promise<PostResult> {
    // Earn and redeem hash the magnitude (their kind fixes the sign; kept so stored hashes still match);
    // an adjustment goes either way, so its sign is part of what it asked.
    const points = kind === 'adjust' ? signedPoints : Math.abs(signedPoints);
    return this.repository.post({
      accountId: request.accountId,
      kind,
      points: signedPoints,
      partnerId: request.partnerId,
      reason: request.reason,
      idempotencyKey: request.idempotencyKey,
      requestHash: requestHash({ kind, points, partnerId: request.partnerId, reason: request.reason, accountId: request.accountId }),
    });
  }
}
