// The points-fraud settings (issue 21): thresholds of the redemption risk rules and the scores at which a
// redemption needs a passkey, is held for review or is refused, each documented for the README table.
import { z } from 'zod';

const count = (min: number, max: number) => z.coerce
  .number({ error: `expected a whole number ${min}-${max}` })
  .int(`expected a whole number ${min}-${max}`)
  .min(min, `expected a whole number ${min}-${max}`)
  .max(max, `expected a whole number ${min}-${max}`);

export const pointsFraudSettings = {
  RISK_REDEMPTION_RECENT_HOURS: {
    schema: count(1, 720).default(72),
    description: 'Points fraud: a redemption within this many hours of the first sign-in on a new device, of a sign-in from a country the member was never seen in, or of linking a new social or enterprise account counts as risky (a thief redeems soon after taking an account over).',
    defaultText: '72',
  },
  RISK_VELOCITY_HOURLY_COUNT: {
    schema: count(1, 1000).default(3),
    description: 'Points fraud: redemptions in one hour (this one included) above which redemption velocity counts as risky, unless the member\'s own history (their busiest hour in the last 30 days, times RISK_VELOCITY_HISTORY_FACTOR) is higher.',
    defaultText: '3',
  },
  RISK_VELOCITY_DAILY_COUNT: {
    schema: count(1, 10000).default(5),
    description: 'Points fraud: redemptions in 24 hours (this one included) above which redemption velocity counts as risky, unless the member\'s own busiest day of the last 30 days times RISK_VELOCITY_HISTORY_FACTOR is higher.',
    defaultText: '5',
  },
  RISK_VELOCITY_DAILY_POINTS: {
    schema: count(1, 100_000_000).default(5000),
    description: 'Points fraud: points redeemed in 24 hours (this redemption included) above which redemption velocity counts as risky, unless the member\'s own busiest day of the last 30 days times RISK_VELOCITY_HISTORY_FACTOR is higher.',
    defaultText: '5000',
  },
  RISK_VELOCITY_HISTORY_FACTOR: {
    schema: count(1, 100).default(3),
    description: 'Points fraud: how many times a member\'s own busiest hour or day (last 30 days, at most the newest 500 ledger entries) a redemption burst may reach before it counts as risky.',
    defaultText: '3',
  },
  RISK_DRAIN_PERCENT: {
    schema: count(1, 100).default(80),
    description: 'Points fraud: a redemption of at least this share (percent) of the balance counts as draining it.',
    defaultText: '80',
  },
  RISK_DRAIN_MIN_POINTS: {
    schema: count(1, 100_000_000).default(1000),
    description: 'Points fraud: balances below this many points are never treated as drained (small balances are spent whole all the time).',
    defaultText: '1000',
  },
  RISK_EARN_BURST_POINTS: {
    schema: count(1, 100_000_000).default(5000),
    description: 'Points fraud: points earned from one partner in 24 hours above which a redemption counts as cashing out an earn burst, unless that partner\'s busiest day for the member in the last 30 days times RISK_VELOCITY_HISTORY_FACTOR is higher.',
    defaultText: '5000',
  },
  RISK_COUPON_MEMBERS_PER_DEVICE: {
    schema: count(1, 1000).default(3),
    description: 'Points fraud: how many different members may redeem one coupon campaign from one browser in RISK_REDEMPTION_RECENT_HOURS; the next one is refused and audited (coupon farming with throwaway accounts).',
    defaultText: '3',
  },
  RISK_REDEMPTION_PASSKEY_SCORE: {
    schema: count(1, 101).default(70),
    description: 'Points fraud: from this risk score (0-100; 50 asks for a fresh two-factor sign-in) a redemption needs a passkey sign-in in the last 2 minutes; with a fresh two-factor sign-in but no passkey it is held for review (points reserved, shown as pending review) instead. 101 turns holds off.',
    defaultText: '70',
  },
  RISK_REDEMPTION_DENY_SCORE: {
    schema: count(1, 101).default(100),
    description: 'Points fraud: from this risk score a redemption is refused outright, whatever the sign-in. 101 turns refusals off.',
    defaultText: '100',
  },
} as const;
