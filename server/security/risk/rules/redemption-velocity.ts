// Points rule: more redemptions (or more points) in an hour or a day than the configured floor and than the
// member's own busiest hour or day of the last 30 days allows: a thief empties an account in a burst, members
// who always redeem a lot keep doing so.
import { busiestWindow, DAY_MS, HOUR_MS, isRedemption, type PointsRule } from '../points-risk.ts';

export const REDEMPTION_VELOCITY_SCORE = 30;

export const redemptionVelocity: PointsRule = {
  name: 'redemption-velocity',
  assess(facts) {
    const now = facts.at.getTime();
    const { hourlyCount, dailyCount, dailyPoints, historyFactor } = facts.settings.velocity;
    const redemptions = facts.entries.filter(isRedemption);
    const within = (ms: number) => redemptions.filter((e) => e.createdAt.getTime() > now - ms);
    const lastHour = within(HOUR_MS);
    const lastDay = within(DAY_MS);
    // The member's history before today's burst: its busiest hour and day.
    const before = redemptions.filter((e) => e.createdAt.getTime() <= now - DAY_MS);
    const one = () => 1;
    const spent = (e: { points: number }) => -e.points;
    const hourCount = lastHour.length + 1;
    const dayCount = lastDay.length + 1;
    const dayPoints = lastDay.reduce((sum, e) => sum + spent(e), 0) + facts.points;
    const fast =
      hourCount > Math.max(hourlyCount, historyFactor * busiestWindow(before, HOUR_MS, one)) ||
      dayCount > Math.max(dailyCount, historyFactor * busiestWindow(before, DAY_MS, one)) ||
      dayPoints > Math.max(dailyPoints, historyFactor * busiestWindow(before, DAY_MS, spent));
    return fast ? { rule: this.name, score: REDEMPTION_VELOCITY_SCORE } : undefined;
  },
};
