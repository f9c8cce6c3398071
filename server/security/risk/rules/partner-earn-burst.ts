// Points rule: redeeming right after a burst of points from one partner (a compromised or colluding partner
// integration, or a till abused by staff): more in the last 24 hours than the floor and than that partner's
// busiest earlier day for this member allows.
import { busiestWindow, DAY_MS, type PointsRule } from '../points-risk.ts';

export const PARTNER_EARN_BURST_SCORE = 40;

export const partnerEarnBurst: PointsRule = {
  name: 'partner-earn-burst',
  assess(facts) {
    const now = facts.at.getTime();
    const byPartner = new Map<string, { today: number; before: typeof facts.entries[number][] }>();
    for (const entry of facts.entries) {
      if (entry.kind !== 'earn' || entry.partnerId === null) continue;
      const slot = byPartner.get(entry.partnerId) ?? { today: 0, before: [] };
      if (entry.createdAt.getTime() > now - DAY_MS) slot.today += entry.points;
      else slot.before.push(entry);
      byPartner.set(entry.partnerId, slot);
    }
    const { earnBurstPoints, velocity } = facts.settings;
    for (const { today, before } of byPartner.values()) {
      const usual = velocity.historyFactor * busiestWindow(before, DAY_MS, (e) => e.points);
      if (today > Math.max(earnBurstPoints, usual)) return { rule: this.name, score: PARTNER_EARN_BURST_SCORE };
    }
    return undefined;
  },
};
