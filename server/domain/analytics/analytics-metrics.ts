// The metrics the analytics API answers, their dimensions and intervals, and how stored buckets become a series.
import type { CounterRow } from './analytics.repository.ts';
import { dayOf, dimsKey, type Dimensions } from './rollup-rules.ts';

export type Interval = 'hour' | 'day';

interface MetricSpec {
  dimensions: readonly string[];
  /** Distinct members are counted per day and month, never per hour (a sum of hours would count a member twice). */
  hourly: boolean;
  description: string;
}

export const METRICS = {
  signups: { dimensions: ['channel', 'method'], hourly: true, description: 'Members enrolled, by enrolment channel and sign-up method (password, passkey, social, phone, import, other).' },
  signup_funnel: { dimensions: ['step'], hourly: true, description: 'The sign-up funnel: started, code_sent, verified, partner_signin (each counted once per sign-up, within 31 days of it, at the time of the step).' },
  signins: { dimensions: ['method', 'outcome'], hourly: true, description: 'Sign-ins by method and outcome (succeeded, failed).' },
  active_members: { dimensions: ['period'], hourly: false, description: 'Distinct members who signed in: period=day (DAU, t is the day) and period=month (MAU, t is the first day of a month overlapping the range).' },
  factors: { dimensions: ['factor', 'change'], hourly: true, description: 'MFA factors and passkeys added and removed (factor: totp, sms, phone, recovery_codes, passkey; change: added, removed).' },
  points: { dimensions: ['partner', 'flow'], hourly: true, description: 'Points earned and redeemed, by partner id (program: the program itself); value is a number of points.' },
  points_transactions: { dimensions: ['partner', 'flow'], hourly: true, description: 'Earn and redeem transactions, by partner id.' },
  security_blocks: { dimensions: ['rule', 'reason'], hourly: true, description: 'Attack-protection outcomes (security.blocked), by rule and reason.' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetric(value: string): value is MetricName {
  return Object.hasOwn(METRICS, value);
}

/** Longest range a query may ask for, per interval (the day limit is the default retention). */
export const MAX_RANGE_DAYS: Record<Interval, number> = { hour: 31, day: 400 };

export interface SeriesPoint {
  t: string;
  value: number;
  [dimension: string]: string | number;
}

/** Buckets summed into the interval asked for (hours into UTC days), sorted by time then dimensions. */
export function toSeries(metric: MetricName, rows: readonly CounterRow[], interval: Interval): SeriesPoint[] {
  const sums = new Map<string, { t: number; dims: Dimensions; value: number }>();
  for (const row of rows) {
    const ms = row.t.getTime();
    const t = METRICS[metric].hourly && interval === 'day' ? dayOf(ms) : ms;
    const key = `${t}|${dimsKey(row.dims)}`;
    const sum = sums.get(key);
    if (sum) sum.value += row.value;
    else sums.set(key, { t, dims: row.dims, value: row.value });
  }
  return [...sums.entries()]
    .sort(([a, x], [b, y]) => x.t - y.t || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { t, dims, value }]) => ({ t: new Date(t).toISOString(), ...dims, value }));
}
