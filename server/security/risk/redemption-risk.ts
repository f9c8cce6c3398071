// The risk of one redemption (issue 21): the sign-in risk rules for purpose "redemption" plus the points rules
// (one file each in rules/), added up, and what it leads to: allow, a fresh step-up (a passkey for the highest
// scores), a hold for review, or a refusal.
import { acrRank, ACR } from '../../../config/assurance.ts';
import type { PointsFraudSettings } from '../../../config/points-fraud.ts';
import type { FederatedIdentitiesRepository } from '../../domain/connections/federated-identities.repository.ts';
import type { DevicesRepository } from '../../domain/devices/devices.repository.ts';
import type { LoyaltyRepository } from '../../domain/loyalty/loyalty.repository.ts';
import { REDEMPTION_ACR, REDEMPTION_MAX_AUTH_AGE_SECONDS, RISKY_REDEMPTION_MAX_AUTH_AGE_SECONDS } from '../../domain/loyalty/redemption-policy.ts';
import { HISTORY_ENTRIES, HISTORY_MS, type PointsRule, type RedemptionFacts } from './points-risk.ts';
import { HIGH_RISK_SCORE, type RiskEngine } from './risk-engine.ts';
import type { RiskSignal } from './risk.ts';
import { balanceDrain } from './rules/balance-drain.ts';
import { partnerEarnBurst } from './rules/partner-earn-burst.ts';
import { redemptionAfterNewCountry } from './rules/redemption-after-new-country.ts';
import { redemptionAfterNewDevice } from './rules/redemption-after-new-device.ts';
import { redemptionAfterNewLink } from './rules/redemption-after-new-link.ts';
import { redemptionVelocity } from './rules/redemption-velocity.ts';

/** How many of the account's devices the points rules see (most recently seen first). */
const DEVICE_HISTORY = 20;

export const pointsRules: readonly PointsRule[] = [
  redemptionAfterNewDevice, redemptionAfterNewCountry, redemptionAfterNewLink, redemptionVelocity, balanceDrain, partnerEarnBurst,
];

export interface RedemptionRiskInput {
  accountId: string;
  email: string;
  ip: string;
  /** The later of the last password reset and the last change of a code-receiving contact. */
  credentialsChangedAt: Date | null;
  points: number;
  balance: number;
  at?: Date;
}

export interface RedemptionAssessment {
  /** 0-100: the sign-in rules' and the points rules' signals added up. */
  score: number;
  signals: RiskSignal[];
  country: string | undefined;
}

export interface RedemptionRiskDeps {
  risk: Pick<RiskEngine, 'assess'>;
  devices: Pick<DevicesRepository, 'listByAccount'>;
  ledger: Pick<LoyaltyRepository, 'listEntries'>;
  links: Pick<FederatedIdentitiesRepository, 'listByAccount'>;
  settings: PointsFraudSettings;
  rules?: readonly PointsRule[];
}

export class RedemptionRisk {
  private readonly deps: RedemptionRiskDeps;
  readonly settings: PointsFraudSettings;

  constructor(deps: RedemptionRiskDeps) {
    this.deps = deps;
    this.settings = deps.settings;
  }

  async assess(input: RedemptionRiskInput): Promise<RedemptionAssessment> {
    const at = input.at ?? new Date();
    const [base, devices, entries, links] = await Promise.all([
      this.deps.risk.assess({ purpose: 'redemption', accountId: input.accountId, email: input.email, ip: input.ip, credentialsChangedAt: input.credentialsChangedAt, at }),
      this.deps.devices.listByAccount(input.accountId, DEVICE_HISTORY),
      // Bounded: the newest entries by the (member, sequence) index, then only the last 30 days of them.
      this.deps.ledger.listEntries(input.accountId, { limit: HISTORY_ENTRIES }),
      this.deps.links.listByAccount(input.accountId),
    ]);
    const facts: RedemptionFacts = {
      at,
      points: input.points,
      balance: input.balance,
      devices,
      linkedAt: links.map((link) => link.linkedAt),
      entries: entries.filter((entry) => entry.createdAt.getTime() > at.getTime() - HISTORY_MS),
      settings: this.settings,
    };
    const points = (this.deps.rules ?? pointsRules).map((rule) => rule.assess(facts)).filter((s): s is RiskSignal => s !== undefined);
    const signals = [...base.signals, ...points];
    const score = Math.min(100, signals.reduce((sum, s) => sum + s.score, 0));
    return { score, signals, country: base.country };
  }
}

export interface RedemptionAuth {
  acr: string | undefined;
  /** Epoch seconds. */
  authTime: number | undefined;
}

export type RedemptionOutcome =
  | { outcome: 'allow' }
  /** `acrValues`: what the client should ask for (RFC 9470), strongest first; `maxAge`: seconds. */
  | { outcome: 'step_up'; acrValues: string; maxAge: number }
  | { outcome: 'hold' }
  | { outcome: 'deny' };

function fresh(auth: RedemptionAuth, maxAgeSeconds: number, nowMs: number): boolean {
  const now = Math.floor(nowMs / 1000);
  return auth.authTime !== undefined && now - auth.authTime <= maxAgeSeconds && auth.authTime <= now + 60;
}

/**
 * What a redemption with this score needs from this sign-in. Under HIGH_RISK_SCORE: two factors in the last 10
 * minutes; from it: in the last 2 minutes; from `passkeyScore`: a passkey in the last 2 minutes, and a fresh
 * two-factor sign-in without one is held for review rather than refused (the member may have no passkey; a
 * person looks at it); from `denyScore`: refused whatever the sign-in.
 */
export function redemptionOutcome(score: number, auth: RedemptionAuth, settings: Pick<PointsFraudSettings, 'passkeyScore' | 'denyScore'>, nowMs = Date.now()): RedemptionOutcome {
  if (score >= settings.denyScore) return { outcome: 'deny' };
  const rank = acrRank(auth.acr);
  if (score >= settings.passkeyScore) {
    const maxAge = RISKY_REDEMPTION_MAX_AUTH_AGE_SECONDS;
    if (rank >= acrRank(ACR.phishingResistant) && fresh(auth, maxAge, nowMs)) return { outcome: 'allow' };
    if (rank >= acrRank(REDEMPTION_ACR) && fresh(auth, maxAge, nowMs)) return { outcome: 'hold' };
    return { outcome: 'step_up', acrValues: `${ACR.phishingResistant} ${REDEMPTION_ACR}`, maxAge };
  }
  const maxAge = score >= HIGH_RISK_SCORE ? RISKY_REDEMPTION_MAX_AUTH_AGE_SECONDS : REDEMPTION_MAX_AUTH_AGE_SECONDS;
  if (rank >= acrRank(REDEMPTION_ACR) && fresh(auth, maxAge, nowMs)) return { outcome: 'allow' };
  return { outcome: 'step_up', acrValues: REDEMPTION_ACR, maxAge };
}
