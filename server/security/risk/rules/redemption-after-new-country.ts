// Points rule: a redemption soon after a sign-in from a country none of the member's older sign-ins came from
// (the redemption itself may come from an app, whose address says nothing: the sign-in before it does).
import type { PointsRule } from '../points-risk.ts';

export const REDEMPTION_AFTER_NEW_COUNTRY_SCORE = 30;

export const redemptionAfterNewCountry: PointsRule = {
  name: 'redemption-after-new-country',
  assess(facts) {
    const since = facts.at.getTime() - facts.settings.recentMs;
    const older = new Set(facts.devices.filter((d) => d.lastSeenAt.getTime() < since && d.lastCountry !== null).map((d) => d.lastCountry));
    // No older history with a country: nothing to compare with.
    if (older.size === 0) return undefined;
    const fresh = facts.devices.some((d) => d.lastSeenAt.getTime() >= since && d.lastCountry !== null && !older.has(d.lastCountry));
    return fresh ? { rule: this.name, score: REDEMPTION_AFTER_NEW_COUNTRY_SCORE } : undefined;
  },
};
