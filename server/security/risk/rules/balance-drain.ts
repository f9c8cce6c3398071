// Points rule: one redemption taking most of a sizeable balance: what a thief does, once, before the member
// notices. Small balances are spent whole all the time, so they never count.
import type { PointsRule } from '../points-risk.ts';

export const BALANCE_DRAIN_SCORE = 30;

export const balanceDrain: PointsRule = {
  name: 'balance-drain',
  assess(facts) {
    const { percent, minPoints } = facts.settings.drain;
    if (facts.balance < minPoints) return undefined;
    return facts.points * 100 >= percent * facts.balance ? { rule: this.name, score: BALANCE_DRAIN_SCORE } : undefined;
  },
};
