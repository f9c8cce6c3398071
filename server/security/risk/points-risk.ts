// Points-fraud signals (issue 21): what a redemption looks like next to the member's ledger, devices and linked
// accounts, scored by rules (one file each in rules/) that add to the sign-in risk rules' score.
import type { PointsFraudSettings } from '../../../config/points-fraud.ts';
import type { KnownDevice } from '../../domain/devices/devices.repository.ts';
import type { LedgerEntry } from '../../domain/loyalty/loyalty.repository.ts';
import type { RiskSignal } from './risk.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** How far back a member's own history goes for the velocity and burst baselines. */
export const HISTORY_MS = 30 * DAY_MS;
/** At most this many ledger entries are read per redemption (newest first, by the (member, sequence) index). */
export const HISTORY_ENTRIES = 500;

/** Everything a points rule may look at, gathered once per redemption (see RedemptionRisk). */
export interface RedemptionFacts {
  at: Date;
  /** The points asked for (positive). */
  points: number;
  /** The balance before this redemption. */
  balance: number;
  /** The account's known devices, most recently seen first. */
  devices: readonly KnownDevice[];
  /** When each of the member's social or enterprise accounts was linked. */
  linkedAt: readonly Date[];
  /** The member's ledger entries of the last HISTORY_MS, newest first (at most HISTORY_ENTRIES). */
  entries: readonly LedgerEntry[];
  settings: PointsFraudSettings;
}

export interface PointsRule {
  readonly name: string;
  assess(facts: RedemptionFacts): RiskSignal | undefined;
}

/** Redemptions spend points now (redeem) or reserve them for a review (hold): both count toward velocity. */
export function isRedemption(entry: LedgerEntry): boolean {
  return entry.kind === 'redeem' || entry.kind === 'hold';
}

/** The largest total per fixed window (hour or day buckets since the epoch) of `value` over `entries`. */
export function busiestWindow(entries: readonly LedgerEntry[], windowMs: number, value: (entry: LedgerEntry) => number): number {
  const totals = new Map<number, number>();
  for (const entry of entries) {
    const bucket = Math.floor(entry.createdAt.getTime() / windowMs);
    totals.set(bucket, (totals.get(bucket) ?? 0) + value(entry));
  }
  return Math.max(0, ...totals.values());
}
