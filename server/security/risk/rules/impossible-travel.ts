// Risk rule: the last sign-in was so far away, so recently, that nobody could have travelled between them
// (a copied session cookie or a shared password). Countries are placed at their centroids, so neighbours
// (under MIN_DISTANCE_KM apart) never count: country-level data cannot tell a border town from a capital.
import type { RiskRule } from '../risk.ts';

export const IMPOSSIBLE_TRAVEL_SCORE = 70;
/** Faster than an airliner, with room for the centroid approximation. */
export const MAX_SPEED_KMH = 1000;
export const MIN_DISTANCE_KM = 500;

export const impossibleTravel: RiskRule = {
  name: 'impossible-travel',
  assess(facts) {
    const last = facts.devices.find((device) => device.lastCountry !== null);
    if (!facts.country || !last?.lastCountry || last.lastCountry === facts.country) return undefined;
    const from = facts.geo.centroid(last.lastCountry);
    const to = facts.geo.centroid(facts.country);
    if (!from || !to) return undefined;
    const km = facts.geo.distanceKm(from, to);
    if (km < MIN_DISTANCE_KM) return undefined;
    const hours = Math.max(facts.at.getTime() - last.lastSeenAt.getTime(), 0) / 3_600_000;
    return km / Math.max(hours, 1 / 3600) > MAX_SPEED_KMH ? { rule: this.name, score: IMPOSSIBLE_TRAVEL_SCORE } : undefined;
  },
};
