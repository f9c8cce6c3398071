// Risk rule: points spent soon after a password reset or a new mobile number — a thief's first moves after
// taking an account over. (Within 24 hours redemption is frozen outright; this covers the week after.)
import type { RiskRule } from '../risk.ts';

export const CREDENTIAL_CHANGE_SCORE = 30;
export const CREDENTIAL_CHANGE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export const credentialChange: RiskRule = {
  name: 'credential-change',
  assess(facts) {
    const changed = facts.credentialsChangedAt;
    if (facts.purpose !== 'redemption' || !changed) return undefined;
    const age = facts.at.getTime() - changed.getTime();
    return age >= 0 && age < CREDENTIAL_CHANGE_WINDOW_MS ? { rule: this.name, score: CREDENTIAL_CHANGE_SCORE } : undefined;
  },
};
