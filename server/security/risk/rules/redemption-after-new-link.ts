// Points rule: a redemption soon after a social or enterprise account was linked to the member: a takeover
// that links the thief's own login keeps working after a password reset.
import type { PointsRule } from '../points-risk.ts';

export const REDEMPTION_AFTER_NEW_LINK_SCORE = 30;

export const redemptionAfterNewLink: PointsRule = {
  name: 'redemption-after-new-link',
  assess(facts) {
    const since = facts.at.getTime() - facts.settings.recentMs;
    const recent = facts.linkedAt.some((at) => at.getTime() >= since && at.getTime() <= facts.at.getTime());
    return recent ? { rule: this.name, score: REDEMPTION_AFTER_NEW_LINK_SCORE } : undefined;
  },
};
