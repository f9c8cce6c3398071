// Risk signals: what one sign-in or redemption looks like next to the account's history, scored by rules.
import type { KnownDevice } from '../../domain/devices/devices.repository.ts';
import type { Coordinates } from '../geo/geo.ts';

export type RiskPurpose = 'sign-in' | 'redemption';

/** Everything a rule may look at, gathered once per assessment (see RiskEngine). */
export interface RiskFacts {
  purpose: RiskPurpose;
  at: Date;
  ip: string;
  /** Country of `ip` when the shipped database knows it. */
  country: string | undefined;
  /** The browser's hashed device id; undefined for API calls, which carry no device cookie. */
  deviceHash: string | undefined;
  /** The account's known devices, most recently seen first. */
  devices: readonly KnownDevice[];
  /** Failed sign-ins for the account's email in the current hour (from the lockout counters). */
  recentFailures: number;
  /** The latest password reset or change of a code-receiving contact. */
  credentialsChangedAt: Date | null;
  /** Where a country is, and how far apart two places are (great-circle). */
  geo: { centroid(country: string): Coordinates | undefined; distanceKm(a: Coordinates, b: Coordinates): number };
}

export interface RiskSignal {
  /** The rule's name, e.g. "new-device": recorded in the audit event. */
  rule: string;
  /** 0-100; the engine adds them up. */
  score: number;
}

export interface RiskRule {
  readonly name: string;
  assess(facts: RiskFacts): RiskSignal | undefined;
}
