// Points rule: many members redeeming one coupon campaign from one browser: throwaway accounts farming a
// per-member coupon. Scored high enough to refuse on its own (a coupon credit has no review step to hold it in).
import type { RiskSignal } from '../risk.ts';

export const COUPON_DEVICE_SHARING_SCORE = 100;

export interface CouponDeviceFacts {
  /** Other members who redeemed this campaign on this device in the window. */
  members: number;
  /** RISK_COUPON_MEMBERS_PER_DEVICE. */
  limit: number;
}

export const couponDeviceSharing = {
  name: 'coupon-device-sharing',
  assess(facts: CouponDeviceFacts): RiskSignal | undefined {
    return facts.members >= facts.limit ? { rule: this.name, score: COUPON_DEVICE_SHARING_SCORE } : undefined;
  },
};
