// What each domain event adds to the analytics rollups: pure rules from an event to counter increments, so
// both adapters count the same event the same way (the adapters only apply them, idempotently).
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../../../config/account-console-client.ts';
import type { DomainEvent } from '../events/domain-event.ts';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/** How long a sign-up stays in the funnel: steps after this count no more (a conversion window). */
export const FUNNEL_WINDOW_MS = 31 * DAY_MS;
/** Distinct-member marks outlive their day or month by this much, for events that arrive late. */
const LATE_MS = 7 * DAY_MS;

/** Dimension values are short strings; a missing one reads `unknown` (never a member's data). */
export type Dimensions = Record<string, string>;

/**
 * One increment. `t` is the start of its bucket in ms: the UTC hour for most metrics, the UTC day or month for
 * distinct members. `once`: count only the first time `key` is seen (a mark kept until `until`). `requires`: count
 * only while the mark `requires` exists (the member signed up within the funnel window).
 */
export interface CountOp {
  kind: 'count';
  metric: string;
  t: number;
  dims: Dimensions;
  value: number;
  memberId: string | null;
  once?: { key: string; until: number };
  requires?: string;
}

/** Remembers `key` until `until` (a sign-up entering the funnel). */
export interface MarkOp {
  kind: 'mark';
  key: string;
  until: number;
  memberId: string | null;
}

export type RollupOp = CountOp | MarkOp;

export function hourOf(ms: number): number {
  return ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

export function dayOf(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

export function monthOf(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Dimension keys in a fixed order: the stored key of a counter is this canonical JSON. */
export function dimsKey(dims: Dimensions): string {
  return JSON.stringify(Object.fromEntries(Object.keys(dims).sort().map((k) => [k, dims[k]])));
}

function str(value: unknown, fallback = 'unknown'): string {
  return typeof value === 'string' && value !== '' ? value.slice(0, 64) : fallback;
}

/** Sign-ups that enter the funnel: someone filled in a sign-up form or came through an upstream identity. */
const FUNNEL_METHODS = new Set(['password', 'passkey', 'social', 'phone']);

export function rollupOps(event: DomainEvent): RollupOp[] {
  const ms = event.time.getTime();
  const t = hourOf(ms);
  const member = event.memberId;
  const count = (metric: string, dims: Dimensions, value = 1, extra: Partial<CountOp> = {}): CountOp => ({ kind: 'count', metric, t, dims, value, memberId: member, ...extra });
  const funnelStep = (step: string): RollupOp[] => (member === null ? [] : [count('signup_funnel', { step }, 1, {
    once: { key: `funnel:${step}:${member}`, until: ms + FUNNEL_WINDOW_MS }, requires: `funnel:new:${member}`,
  })]);
  const data = event.data;
  switch (event.type) {
    case 'member.created': {
      const method = str(data.method, 'other');
      const ops: RollupOp[] = [count('signups', { channel: str(data.channel), method })];
      if (member !== null && FUNNEL_METHODS.has(method)) {
        ops.push({ kind: 'mark', key: `funnel:new:${member}`, until: ms + FUNNEL_WINDOW_MS, memberId: member });
        ops.push(count('signup_funnel', { step: 'started' }));
      }
      return ops;
    }
    case 'signup.code_sent':
      return funnelStep('code_sent');
    case 'member.email_verified':
    case 'member.phone_verified':
      return funnelStep('verified');
    case 'signin.succeeded': {
      const ops: RollupOp[] = [count('signins', { method: str(data.method), outcome: 'succeeded' })];
      if (member !== null) {
        const day = dayOf(ms);
        const month = monthOf(ms);
        ops.push(count('active_members', { period: 'day' }, 1, { t: day, once: { key: `active:d:${day}:${member}`, until: day + DAY_MS + LATE_MS } }));
        ops.push(count('active_members', { period: 'month' }, 1, { t: month, once: { key: `active:m:${month}:${member}`, until: nextMonth(month) + LATE_MS } }));
        // A sign-in at a relying party (not the program's own account console) completes the funnel.
        if (typeof data.client === 'string' && data.client !== ACCOUNT_CONSOLE_CLIENT_ID) ops.push(...funnelStep('partner_signin'));
      }
      return ops;
    }
    case 'signin.failed':
      return [count('signins', { method: str(data.method), outcome: 'failed' })];
    case 'mfa.enrolled':
    case 'mfa.removed':
      return [count('factors', { factor: str(data.factor), change: event.type === 'mfa.enrolled' ? 'added' : 'removed' })];
    case 'passkey.added':
    case 'passkey.removed':
      return [count('factors', { factor: 'passkey', change: event.type === 'passkey.added' ? 'added' : 'removed' })];
    case 'points.earned':
    case 'points.redeemed': {
      const points = typeof data.points === 'number' ? Math.abs(data.points) : 0;
      const partner = str(data.partner_id, 'program');
      const flow = event.type === 'points.earned' ? 'earned' : 'redeemed';
      return [count('points', { partner, flow }, points), count('points_transactions', { partner, flow })];
    }
    case 'security.blocked':
      return [count('security_blocks', { rule: str(data.rule), reason: str(data.reason) })];
    default:
      return [];
  }
}
