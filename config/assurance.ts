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

/**
 * RFC 8176 `amr` values we record, one per way of proving something. `otp` is kept for the authenticator
 * app (TOTP) and its recovery codes; an emailed code is `email` (not registered in RFC 8176, which allows
 * `otp` for it too, but then a mailbox code could not be told from the app); a texted code is `sms`;
 * a passkey is `hwk` (device-bound) or `swk` (synced) plus `user` (user verification); `mfa` is added
 * whenever two different factor classes were proven. `hand-off` (not in RFC 8176) marks a kiosk's tokens whose
 * sign-in happened on the member's own phone (server/oidc/kiosk-handoff.ts): it proves no factor of its own.
 */
export const AMR = {
  password: 'pwd',
  email: 'email',
  sms: 'sms',
  app: 'otp',
  hardwareKey: 'hwk',
  softwareKey: 'swk',
  userVerification: 'user',
  multiFactor: 'mfa',
  handOff: 'hand-off',
} as const;

/** What a factor proves: something known, a mailbox, a phone number, a device (app or passkey), the person. */
export type FactorClass = 'knowledge' | 'mailbox' | 'phone' | 'device' | 'inherence';

const CLASS_OF_AMR: Record<string, FactorClass> = {
  [AMR.password]: 'knowledge',
  [AMR.email]: 'mailbox',
  [AMR.sms]: 'phone',
  [AMR.app]: 'device',
  [AMR.hardwareKey]: 'device',
  [AMR.softwareKey]: 'device',
  [AMR.userVerification]: 'inherence',
};

/**
 * What the account adds to reading a session's amr. `passwordProvesMailbox`: the password was set through
 * the emailed reset code (server/domain/accounts/mailbox-password.ts), so `pwd` proves the mailbox, not
 * knowledge, and never pairs with an emailed code. The amr itself keeps `pwd`: it says how the member
 * signed in, and relying parties see nothing invented.
 */
export interface AmrContext {
  passwordProvesMailbox?: boolean;
}

/** The class an amr value proves; undefined for `mfa` and anything we do not issue. */
export function factorClassOf(amrValue: string, context: AmrContext = {}): FactorClass | undefined {
  if (amrValue === AMR.password && context.passwordProvesMailbox === true) return 'mailbox';
  return CLASS_OF_AMR[amrValue];
}

function amrList(amr: unknown): string[] {
  return Array.isArray(amr) ? amr.filter((m): m is string => typeof m === 'string') : [];
}

/**
 * A session's amr as we record it today. Sessions from before emailed codes had their own value recorded a
 * passwordless email code as a lone `otp`; the app never signs anyone in on its own (it is only a step-up,
 * which always adds `mfa`), so an `otp` without `mfa` is that old emailed code and reads as `email`:
 * otherwise such a session could step up by email again and pass as two factors.
 */
export function currentAmr(amr: unknown): string[] {
  const values = amrList(amr);
  const legacyEmailCode = values.includes(AMR.app) && !values.includes(AMR.multiFactor);
  return legacyEmailCode ? values.map((m) => (m === AMR.app ? AMR.email : m)) : values;
}

/** The distinct factor classes an amr proves. */
export function factorClasses(amr: unknown, context: AmrContext = {}): Set<FactorClass> {
  const classes = new Set<FactorClass>();
  for (const value of currentAmr(amr)) {
    const kind = factorClassOf(value, context);
    if (kind) classes.add(kind);
  }
  return classes;
}

/** A passkey with user verification: the only phishing-resistant proof we accept. */
function provedPasskey(amr: unknown): boolean {
  const values = amrList(amr);
  return (values.includes(AMR.hardwareKey) || values.includes(AMR.softwareKey)) && values.includes(AMR.userVerification);
}

/**
 * The acr a session's amr earns: phr for a verified passkey, two factors for two different classes
 * (never the same class twice: two codes to one mailbox or one SIM are one factor), one for one class,
 * undefined for none. The count of steps plays no part.
 */
export function acrFromAmr(amr: unknown, context: AmrContext = {}): AcrValue | undefined {
  if (provedPasskey(amr)) return ACR.phishingResistant;
  const count = factorClasses(amr, context).size;
  if (count >= 2) return ACR.twoFactors;
  return count === 1 ? ACR.oneFactor : undefined;
}

/**
 * `amr` (already in today's values, see currentAmr) with `mfa` added when it proves two classes or a
 * verified passkey (RFC 8176: "multiple-factor authentication"), and without it otherwise.
 */
export function withMfaMarker(amr: readonly string[], context: AmrContext = {}): string[] {
  const unique = [...new Set(amr.filter((m) => m !== AMR.multiFactor))];
  const classes = new Set(unique.map((m) => factorClassOf(m, context)).filter((kind) => kind !== undefined));
  return classes.size >= 2 || provedPasskey(unique) ? [...unique, AMR.multiFactor] : unique;
}

/**
 * Is this acr a signed-in level? Only the values we issue count: a session still owing a factor
 * (RISK_PENDING_ACR), one without acr and any foreign string are not signed in, for pages and APIs alike.
 */
export function isSignedInAcr(acr: unknown): acr is AcrValue {
  return acrRank(acr) > 0;
}

/**
 * Strength of a factor, for removing one: the session must have proven a factor at least as strong as
 * the one removed. A verified passkey (phr) > a device (app, its recovery codes, a passkey) > a phone
 * number or a mailbox (a code anyone holding the SIM or the inbox gets) > a password (can be phished or
 * reused). Inherence only comes with a passkey, so it ranks with it.
 */
export const FACTOR_STRENGTH = { password: 1, mailbox: 2, phone: 2, device: 3, phishingResistant: 4 } as const;
export type FactorStrength = (typeof FACTOR_STRENGTH)[keyof typeof FACTOR_STRENGTH];

const STRENGTH_OF_CLASS: Record<FactorClass, FactorStrength> = {
  knowledge: FACTOR_STRENGTH.password,
  mailbox: FACTOR_STRENGTH.mailbox,
  phone: FACTOR_STRENGTH.phone,
  device: FACTOR_STRENGTH.device,
  inherence: FACTOR_STRENGTH.device,
};

/** The strongest factor a session's amr proved (0 for none). */
export function strongestFactor(amr: unknown): number {
  if (provedPasskey(amr)) return FACTOR_STRENGTH.phishingResistant;
  return Math.max(0, ...[...factorClasses(amr)].map((kind) => STRENGTH_OF_CLASS[kind]));
}
