// Which second factors a member can use right now, and the "other ways to confirm" each page offers.
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

/** Strongest first: the order the alternatives are listed in. */
export async function availableMethods(deps: InteractionDeps, account: Account): Promise<MfaMethod[]> {
  const methods: MfaMethod[] = [];
  if (await deps.passkeys.hasPasskey(account.id)) methods.push('passkey');
  if ((await deps.totp.enrolled(account.id)) !== undefined) methods.push('totp', 'recovery');
  if (deps.smsFactor.available(account)) methods.push('sms');
  if (deps.emailFactor.available(account)) methods.push('email');
  return methods;
}

export interface MethodChoice {
  method: MfaMethod;
  labelId: string;
}

/** Every available method except the one on screen. */
export async function alternatives(deps: InteractionDeps, account: Account, current: MfaMethod): Promise<MethodChoice[]> {
  return (await availableMethods(deps, account)).filter((m) => m !== current).map((method) => ({ method, labelId: LABELS[method] }));
}
