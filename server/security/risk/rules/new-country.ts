// Risk rule: a country the account was never seen in. Members travel, so on its own it is not enough for a
// step-up; with another signal it is.
import type { RiskRule } from '../risk.ts';

export const NEW_COUNTRY_SCORE = 30;

export const newCountry: RiskRule = {
  name: 'new-country',
  assess(facts) {
    const seen = facts.devices.map((device) => device.lastCountry).filter((c): c is string => c !== null);
    // No history, or an address the database cannot place: nothing to compare with.
    if (!facts.country || seen.length === 0) return undefined;
    return seen.includes(facts.country) ? undefined : { rule: this.name, score: NEW_COUNTRY_SCORE };
  },
};
