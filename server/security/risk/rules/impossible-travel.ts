// Risk rule: the last sign-in was so far away, so recently, that nobody could have travelled between them
// (a copied session cookie or a shared password). Countries are placed at their centroids, so neighbours
// (under MIN_DISTANCE_KM apart) never count: country-level data cannot tell a border town from a capital.
import type { RiskFacts, RiskRule } from '../risk.ts';

export const IMPOSSIBLE_TRAVEL_SCORE = 70;
/** Faster than an airliner, with room for the centroid approximation. */
export const MAX_SPEED_KMH = 1000;
export const MIN_DISTANCE_KM = 500;

type Places = RiskFacts['geo'];

/**
 * Whether going from `from` (a country, at a time) to `to` is faster than anyone travels: also used by the
 * session guard (server/sessions), so a session cookie and a sign-in are judged by one rule.
 */
export function isImpossibleTravel(places: Places, from: { country: string; at: Date }, to: { country: string; at: Date }): boolean {
  if (from.country === to.country) return false;
  const start = places.centroid(from.country);
  const end = places.centroid(to.country);
  if (!start || !end) return false;
  const km = places.distanceKm(start, end);
  if (km < MIN_DISTANCE_KM) return false;
  const hours = Math.max(to.at.getTime() - from.at.getTime(), 0) / 3_600_000;
  return km / Math.max(hours, 1 / 3600) > MAX_SPEED_KMH;
}

export const impossibleTravel: RiskRule = {
  name: 'impossible-travel',
  assess(facts) {
    const last = facts.devices.find((device) => device.lastCountry !== null);
    if (!facts.country || !last?.lastCountry) return undefined;
    const impossible = isImpossibleTravel(facts.geo, { country: last.lastCountry, at: last.lastSeenAt }, { country: facts.country, at: facts.at });
    return impossible ? { rule: this.name, score: IMPOSSIBLE_TRAVEL_SCORE } : undefined;
  },
};
