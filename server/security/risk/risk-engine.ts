// Combines the risk rules (one file each in rules/) into one assessment; high risk asks for a step-up.
import type { DevicesRepository } from '../../domain/devices/devices.repository.ts';
import type { GeoLookup } from '../geo/geo.ts';
import type { RiskFacts, RiskPurpose, RiskRule, RiskSignal } from './risk.ts';
import { credentialChange } from './rules/credential-change.ts';
import { impossibleTravel } from './rules/impossible-travel.ts';
import { newCountry } from './rules/new-country.ts';
import { newDevice } from './rules/new-device.ts';
import { recentFailures } from './rules/recent-failures.ts';

/** At or above this total, a sign-in needs a second factor and a redemption a fresh one. */
export const HIGH_RISK_SCORE = 50;
/** How much history a rule sees: the account's most recently used devices. */
const DEVICE_HISTORY = 20;

/** Every rule, one file each; `newDeviceStepUp` is RISK_NEW_DEVICE_STEP_UP. */
export function riskRules(newDeviceStepUp: boolean): readonly RiskRule[] {
  return [newDevice(newDeviceStepUp), newCountry, impossibleTravel, recentFailures, credentialChange];
}

export interface RiskAssessment {
  /** 0-100. */
  score: number;
  high: boolean;
  signals: RiskSignal[];
  /** The caller's country, for the audit event and the device record. */
  country: string | undefined;
}

export interface RiskInput {
  purpose: RiskPurpose;
  accountId: string;
  /** Normalised; the key of the failure counters. */
  email: string;
  ip: string;
  deviceHash?: string | undefined;
  credentialsChangedAt: Date | null;
  at?: Date;
}

export interface RiskEngineDeps {
  devices: DevicesRepository;
  geo: GeoLookup;
  places: RiskFacts['geo'];
  /** Failed sign-ins of this email in the current hour. */
  recentFailures(email: string): Promise<number>;
  rules: readonly RiskRule[];
}

export class RiskEngine {
  private readonly deps: RiskEngineDeps;
  private readonly rules: readonly RiskRule[];

  constructor(deps: RiskEngineDeps) {
    this.deps = deps;
    this.rules = deps.rules;
  }

  /** The caller's country, as the rules see it. */
  countryOf(ip: string): string | undefined {
    return this.deps.geo.country(ip);
  }

  async assess(input: RiskInput): Promise<RiskAssessment> {
    const [devices, failures] = await Promise.all([
      this.deps.devices.listByAccount(input.accountId, DEVICE_HISTORY),
      this.deps.recentFailures(input.email),
    ]);
    const country = this.countryOf(input.ip);
    const facts: RiskFacts = {
      purpose: input.purpose,
      at: input.at ?? new Date(),
      ip: input.ip,
      country,
      deviceHash: input.deviceHash,
      devices,
      recentFailures: failures,
      credentialsChangedAt: input.credentialsChangedAt,
      geo: this.deps.places,
    };
    const signals = this.rules.map((rule) => rule.assess(facts)).filter((s): s is RiskSignal => s !== undefined);
    const score = Math.min(100, signals.reduce((sum, s) => sum + s.score, 0));
    return { score, high: score >= HIGH_RISK_SCORE, signals, country };
  }
}
