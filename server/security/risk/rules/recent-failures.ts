// Risk rule: the account's email failed to sign in several times this hour (someone is guessing), so even
// a right password is treated with suspicion.
import type { RiskRule } from '../risk.ts';

export const RECENT_FAILURES_SCORE = 30;
export const RECENT_FAILURES_THRESHOLD = 5;

export const recentFailures: RiskRule = {
  name: 'recent-failures',
  assess(facts) {
    return facts.recentFailures >= RECENT_FAILURES_THRESHOLD ? { rule: this.name, score: RECENT_FAILURES_SCORE } : undefined;
  },
};
