// Assurance levels: the acr values we issue, their order, and the level an authorization request needs.
export const ACR = {
  oneFactor: 'urn:loyalty:loa:1',
  twoFactors: 'urn:loyalty:loa:2',
  phishingResistant: 'urn:loyalty:loa:phr',
} as const;

export type AcrValue = (typeof ACR)[keyof typeof ACR];

/**
 * The acr of a session whose password was right but whose sign-in looked risky (a new device, impossible
 * travel, ...): it ranks below every issued level, and the mfa prompt turns it into a step-up before any
 * token. Kept in the session rather than the interaction result, so abandoning the step-up and starting a
 * new authorization request meets the same prompt again. It never appears in a token.
 */
export const RISK_PENDING_ACR = 'urn:loyalty:risk:step-up-required';

const RANK: Record<string, number> = { [ACR.oneFactor]: 1, [ACR.twoFactors]: 2, [ACR.phishingResistant]: 3 };

/** 0 for anything that is not one of our values (a session without acr, an unknown string). */
export function acrRank(acr: unknown): number {
  return typeof acr === 'string' ? (RANK[acr] ?? 0) : 0;
}

/** What a request asks for: `acr_values` and/or the `claims` parameter's `id_token.acr`, and the client's own rule. */
export interface AssuranceRequest {
  acrValues?: unknown;
  claimsAcr?: { value?: unknown; values?: unknown } | undefined;
  clientRequiresMfa?: boolean;
}

/**
 * The lowest rank that satisfies the request. acr_values lists the values the client accepts, so the
 * weakest known one of them is enough; unknown values are ignored (an OP may not invent a meaning for
 * them). A client flagged require_mfa never gets less than two factors.
 */
export function requiredRank(request: AssuranceRequest): number {
  const asked: string[] = [];
  if (typeof request.acrValues === 'string') asked.push(...request.acrValues.split(' '));
  const { value, values } = request.claimsAcr ?? {};
  if (typeof value === 'string') asked.push(value);
  if (Array.isArray(values)) asked.push(...values.filter((v): v is string => typeof v === 'string'));
  const known = asked.map(acrRank).filter((rank) => rank > 0);
  const fromRequest = known.length > 0 ? Math.min(...known) : 0;
  return Math.max(fromRequest, request.clientRequiresMfa ? acrRank(ACR.twoFactors) : 0);
}

/** Adding or removing a factor needs a sign-in at least this recent (seconds). */
export const RECENT_SIGN_IN_SECONDS = 5 * 60;
