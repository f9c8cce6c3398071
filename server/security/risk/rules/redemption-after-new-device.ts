// Points rule: a redemption soon after the member's first sign-in on a new device, when the member had other
// devices before: the thief's browser is new, and the thief cashes out quickly. A member's very first device is
// not "new" (there is nothing to compare it with).
import type { PointsRule } from '../points-risk.ts';

export const REDEMPTION_AFTER_NEW_DEVICE_SCORE = 40;

export const redemptionAfterNewDevice: PointsRule = {
  name: 'redemption-after-new-device',
  assess(facts) {
    const since = facts.at.getTime() - facts.settings.recentMs;
    const recent = facts.devices.some((device) => device.firstSeenAt.getTime() >= since);
    const established = facts.devices.some((device) => device.firstSeenAt.getTime() < since);
    return recent && established ? { rule: this.name, score: REDEMPTION_AFTER_NEW_DEVICE_SCORE } : undefined;
  },
};
