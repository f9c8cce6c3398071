// Points-fraud thresholds (issue 21) from the environment: what the redemption risk rules and outcomes read.
import type { RawConfig } from './schema.ts';

export interface PointsFraudSettings {
  /** "Soon after" a new device, a new country or a new linked account (ms). */
  recentMs: number;
  velocity: { hourlyCount: number; dailyCount: number; dailyPoints: number; historyFactor: number };
  drain: { percent: number; minPoints: number };
  earnBurstPoints: number;
  couponMembersPerDevice: number;
  /** Scores: a passkey (or a hold) from `passkeyScore`, a refusal from `denyScore`. */
  passkeyScore: number;
  denyScore: number;
}

export const DEFAULT_POINTS_FRAUD: PointsFraudSettings = Object.freeze({
  recentMs: 72 * 3_600_000,
  velocity: Object.freeze({ hourlyCount: 3, dailyCount: 5, dailyPoints: 5000, historyFactor: 3 }),
  drain: Object.freeze({ percent: 80, minPoints: 1000 }),
  earnBurstPoints: 5000,
  couponMembersPerDevice: 3,
  passkeyScore: 70,
  denyScore: 100,
});

export function pointsFraud(raw: RawConfig): PointsFraudSettings {
  return Object.freeze({
    recentMs: raw.RISK_REDEMPTION_RECENT_HOURS * 3_600_000,
    velocity: Object.freeze({
      hourlyCount: raw.RISK_VELOCITY_HOURLY_COUNT,
      dailyCount: raw.RISK_VELOCITY_DAILY_COUNT,
      dailyPoints: raw.RISK_VELOCITY_DAILY_POINTS,
      historyFactor: raw.RISK_VELOCITY_HISTORY_FACTOR,
    }),
    drain: Object.freeze({ percent: raw.RISK_DRAIN_PERCENT, minPoints: raw.RISK_DRAIN_MIN_POINTS }),
    earnBurstPoints: raw.RISK_EARN_BURST_POINTS,
    couponMembersPerDevice: raw.RISK_COUPON_MEMBERS_PER_DEVICE,
    passkeyScore: raw.RISK_REDEMPTION_PASSKEY_SCORE,
    denyScore: raw.RISK_REDEMPTION_DENY_SCORE,
  });
}
