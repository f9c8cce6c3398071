// What the loyalty port refuses before any store is touched, shared by the adapters so both answer a bad
// request with the same invalid_input (not with one store's raw constraint or validation error).
import { DomainError } from '../errors.ts';
import type { EnrolmentChannel, LedgerKind, NewMember, PostEntry } from './loyalty.repository.ts';

export const MAX_REASON_LENGTH = 200;

const CHANNELS: ReadonlySet<string> = new Set<EnrolmentChannel>(['web', 'app', 'kiosk', 'partner']);
/** The sign of points each kind allows (0: either), as LedgerEntry.points documents it. */
const KIND_SIGN: Readonly<Record<LedgerKind, -1 | 0 | 1>> = { earn: 1, redeem: -1, expire: -1, adjust: 0, reverse: 0, hold: -1, hold_return: 1 };

export function isEnrolmentChannel(value: string): value is EnrolmentChannel {
  return CHANNELS.has(value);
}

export function isLedgerKind(value: string): value is LedgerKind {
  return Object.hasOwn(KIND_SIGN, value);
}

export function assertValidMember(input: NewMember): void {
  if (!isEnrolmentChannel(input.enrolmentChannel)) {
    throw new DomainError('invalid_input', `unknown enrolment channel ${String(input.enrolmentChannel)}`);
  }
}

export function assertValidPostEntry(entry: PostEntry): void {
  const invalid = (message: string) => new DomainError('invalid_input', message);
  if (!isLedgerKind(entry.kind)) throw invalid(`unknown ledger kind ${String(entry.kind)}`);
  // A merge's adjust may be 0 points (issue 21): the absorbed member had no balance, yet the survivor's entry carries
  // its lifetime, and on MongoDB the absorbed member's closing entry fences its ledger whatever it moved.
  const mergeEntry = entry.merging === true && entry.kind === 'adjust';
  if (!Number.isSafeInteger(entry.points) || (entry.points === 0 && !mergeEntry)) throw invalid('points must be a non-zero safe integer');
  const sign = KIND_SIGN[entry.kind];
  if (sign !== 0 && Math.sign(entry.points) !== sign) throw invalid(`points of a ${entry.kind} entry must be ${sign > 0 ? 'positive' : 'negative'}`);
  if (entry.reason.length > MAX_REASON_LENGTH) throw invalid(`reason must be at most ${MAX_REASON_LENGTH} characters`);
  if (entry.idempotencyKey === '') throw invalid('idempotency key must not be empty');
  const carried = entry.lifetimeCarried ?? 0;
  if (!Number.isSafeInteger(carried) || carried < 0) throw invalid('lifetimeCarried must be a non-negative whole number');
  if (carried > 0 && (entry.kind !== 'adjust' || entry.points < 0)) throw invalid('only a positive adjust carries lifetime points');
}

/** How much an entry adds to lifetime points: what it credits, except points a rejected hold gives back (never earned). */
export function lifetimeDelta(kind: LedgerKind, points: number): number {
  return kind === 'hold_return' ? 0 : Math.max(points, 0);
}

/** The running totals after `points`; invalid_input when they would leave the safe integers. */
export function totalsAfter(previous: { balance: number; lifetimePoints: number }, points: number, kind: LedgerKind, carried = 0): { balance: number; lifetimePoints: number } {
  const balance = previous.balance + points;
  const lifetimePoints = previous.lifetimePoints + lifetimeDelta(kind, points) + carried;
  if (!Number.isSafeInteger(balance) || !Number.isSafeInteger(lifetimePoints)) {
    throw new DomainError('invalid_input', 'points would overflow the balance');
  }
  return { balance, lifetimePoints };
}

/** The most entries one listEntries call returns, whatever limit it asks for (one page stays small). */
export const MAX_ENTRIES_PER_PAGE = 1000;

/** Checks a listEntries page request; returns the limit to apply. */
export function pageLimit(options: { limit: number; beforeSequence?: number }): number {
  const { limit, beforeSequence } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new DomainError('invalid_input', 'limit must be a positive whole number');
  if (beforeSequence !== undefined && !Number.isSafeInteger(beforeSequence)) {
    throw new DomainError('invalid_input', 'beforeSequence must be a whole number');
  }
  return Math.min(limit, MAX_ENTRIES_PER_PAGE);
}
