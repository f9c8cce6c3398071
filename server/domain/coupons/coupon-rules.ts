// Coupon rules: one spelling of codes (upper case, so "summer-24" and "SUMMER-24" are one code), the patterns
// codes are generated from, and what a partner's change to a campaign must keep true.
import { randomInt } from 'node:crypto';
import { DomainError } from '../errors.ts';
import type { Campaign, CampaignChanges, CampaignUpdate } from './coupons.repository.ts';

export const COUPON_CODE = /^[A-Z0-9-]{4,32}$/;
/** A pattern: literal A-Z, 0-9 and '-', with '#' where a random character goes; 4-32 characters. */
export const CODE_PATTERN = /^[A-Z0-9#-]{4,32}$/;
/**
 * No 0/O or 1/I look-alikes: codes are read off receipts and typed. 32 characters, so 8 of them are 40 bits:
 * with 10,000 codes out, a guess hits one in ~10^8 tries.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const MIN_RANDOM_CHARACTERS = 8;
export const MAX_GENERATED_CODES = 10_000;
/** At most this many uses per member: a member's slots are probed one by one (adapters/mongo/coupons.ts). */
export const MAX_PER_MEMBER = 100;

/** The stored spelling of a typed code, or undefined when it cannot be a code. */
export function normaliseCouponCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  return COUPON_CODE.test(code) ? code : undefined;
}

/** Open now or still to come: a code such a campaign holds is taken for every other partner. */
export function isLiveCampaign(campaign: Pick<Campaign, 'endedAt' | 'endsAt'>, at: Date): boolean {
  return !campaign.endedAt && at < campaign.endsAt;
}

/** The answer when another partner's live campaign holds a code (thrown by the service and by both adapters alike). */
export function codeTaken(): DomainError {
  return new DomainError('conflict', 'this code is in use by another partner\'s open or upcoming campaign; choose another code', { details: { reason: 'code_taken' } });
}

/** How many random characters a pattern has. */
export function randomCharacters(pattern: string): number {
  return [...pattern].filter((character) => character === '#').length;
}

/** The stored spelling of a pattern, or undefined when it is not one (or too guessable). */
export function normaliseCodePattern(input: string): string | undefined {
  const pattern = input.trim().toUpperCase();
  return CODE_PATTERN.test(pattern) && randomCharacters(pattern) >= MIN_RANDOM_CHARACTERS ? pattern : undefined;
}

/** One code from the pattern: each '#' an independent draw from CODE_ALPHABET by the CSPRNG. */
export function drawCode(pattern: string): string {
  return pattern.replace(/#/g, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]!);
}

/**
 * The campaign as the changes leave it, or why they may not be made: an ended campaign stays ended, the total
 * limit never goes below the uses taken nor above the codes generated, and the window stays in order.
 */
export function checkChanges(campaign: Campaign, changes: CampaignChanges, usesTaken: number): CampaignUpdate {
  if (campaign.endedAt) return { ok: false, reason: 'ended' };
  const next: Campaign = { ...campaign, ...definedOnly(changes) };
  if (next.totalLimit < usesTaken) return { ok: false, reason: 'below_uses' };
  if (next.codePattern !== null && next.totalLimit > next.codeCount) return { ok: false, reason: 'above_codes' };
  if (next.endsAt.getTime() <= next.startsAt.getTime()) return { ok: false, reason: 'window' };
  return { ok: true, campaign: next };
}

function definedOnly(changes: CampaignChanges): CampaignChanges {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
}
