// Which second factors a member may use for this step-up, and the "other ways to confirm" each page offers.
// The server decides from the account and the session's proven factor classes, never from a form field.
import { AMR, type FactorClass } from '../../config/assurance.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import type { MfaMethod } from '../shared/flow-state.ts';

const LABELS: Record<MfaMethod, string> = {
  passkey: 'mfa.use_passkey',
  totp: 'mfa.use_app',
  recovery: 'mfa.use_recovery',
  sms: 'mfa.use_sms',
  email: 'mfa.use_email',
};

/**
 * The classes each method proves. Recovery codes stand in for the app (its fallback when the phone is
 * lost), so they are the device class too; a passkey also proves the person (user verification).
 */
const CLASSES: Record<MfaMethod, readonly FactorClass[]> = {
  passkey: ['device', 'inherence'],
  totp: ['device'],
  recovery: ['device'],
  sms: ['phone'],
  email: ['mailbox'],
};

/** The amr value a code method adds (a passkey adds its own, see passkeyAmr). */
export const METHOD_AMR: Record<Exclude<MfaMethod, 'passkey'>, string> = {
  totp: AMR.app,
  recovery: AMR.app,
  sms: AMR.sms,
  email: AMR.email,
};

const DEVICE_METHODS: readonly MfaMethod[] = ['passkey', 'totp', 'recovery'];

/**
 * Strongest first, and only what adds a class the session has not proven (two codes to one mailbox or
 * one SIM are one factor). A member with a passkey or an app is asked for it, with recovery codes as the
 * fallback: a code by email or SMS would let whoever holds the inbox or the SIM past the factor they
 * chose to protect the account with, so those are offered only to members with nothing stronger.
 */
export async function availableMethods(deps: InteractionDeps, account: Account, proven: ReadonlySet<FactorClass>): Promise<MfaMethod[]> {
  const held: MfaMethod[] = [];
  if (await deps.passkeys.hasPasskey(account.id)) held.push('passkey');
  if ((await deps.totp.enrolled(account.id)) !== undefined) held.push('totp', 'recovery');
  if (deps.smsFactor.available(account)) held.push('sms');
  if (deps.emailFactor.available(account)) held.push('email');
  const adding = held.filter((method) => CLASSES[method].some((kind) => !proven.has(kind)));
  const strong = adding.filter((method) => DEVICE_METHODS.includes(method));
  return strong.length > 0 ? strong : adding;
}

export interface MethodChoice {
  method: MfaMethod;
  labelId: string;
}

/** Every allowed method except the one on screen. */
export async function alternatives(deps: InteractionDeps, account: Account, proven: ReadonlySet<FactorClass>, current: MfaMethod): Promise<MethodChoice[]> {
  return (await availableMethods(deps, account, proven)).filter((m) => m !== current).map((method) => ({ method, labelId: LABELS[method] }));
}
