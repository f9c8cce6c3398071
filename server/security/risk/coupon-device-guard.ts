// Counts the different members who redeemed one coupon campaign on one device (rate-limit counters shared by every
// process on the store), and asks the coupon-device-sharing rule whether the next member may (issue 21).
import type { RateLimiter, RateLimitStore } from '../rate-limit/rate-limiter.ts';
import type { RiskSignal } from './risk.ts';
import { couponDeviceSharing } from './rules/coupon-device-sharing.ts';

/** The limiter's longest window. */
const MAX_WINDOW_SECONDS = 7 * 24 * 3600;
/** Large: these counters count, the rule decides. */
const COUNT_CAP = 100_000;

export interface CouponUse {
  campaignId: string;
  /** The hashed device id, or the client IP when the browser sent no device cookie. */
  device: string;
  accountId: string;
}

export class CouponDeviceGuard {
  private readonly memberSeen: RateLimiter;
  private readonly members: RateLimiter;
  private readonly limit: number;

  constructor(store: RateLimitStore, settings: { couponMembersPerDevice: number; recentMs: number }) {
    const durationSeconds = Math.min(MAX_WINDOW_SECONDS, Math.ceil(settings.recentMs / 1000));
    this.memberSeen = store.limiter({ name: 'coupon-device-member', points: COUNT_CAP, durationSeconds });
    this.members = store.limiter({ name: 'coupon-device-members', points: COUNT_CAP, durationSeconds });
    this.limit = settings.couponMembersPerDevice;
  }

  /** The signal when this member would be one too many on this device for this campaign (a member counted already may go on). */
  async check(use: CouponUse): Promise<RiskSignal | undefined> {
    if ((await this.memberSeen.peek(memberKey(use))).consumed > 0) return undefined;
    const { consumed } = await this.members.peek(deviceKey(use));
    return couponDeviceSharing.assess({ members: consumed, limit: this.limit });
  }

  /** After a redemption went through: the member counts for this device and campaign (once). */
  async record(use: CouponUse): Promise<void> {
    if ((await this.memberSeen.consume(memberKey(use))).consumed === 1) await this.members.consume(deviceKey(use));
  }
}

const deviceKey = (use: CouponUse) => `${use.campaignId}\0${use.device}`;
const memberKey = (use: CouponUse) => `${use.campaignId}\0${use.device}\0${use.accountId}`;
