// Every way a member can still sign in, counted before a linked account is removed: never the last one.
import type { Account } from '../../server/domain/accounts/account.ts';
import type { InteractionDeps } from '../shared/deps.ts';

export interface WaysIn {
  password: boolean;
  passkeys: number;
  /** The emailed-code sign-in: open to every member whose email is verified (code-sign-in/handlers.ts). */
  emailCode: boolean;
  linkedAccounts: number;
}

export async function waysIn(deps: Pick<InteractionDeps, 'passkeys' | 'federation'>, account: Account): Promise<WaysIn> {
  return {
    password: account.passwordHash !== null,
    passkeys: (await deps.passkeys.list(account.id)).length,
    emailCode: account.emailVerified,
    linkedAccounts: (await deps.federation.signIn.links(account.id)).length,
  };
}

/** How many ways in there are: removing one leaves the member locked out when this is 1. */
export function countWaysIn(ways: WaysIn): number {
  return (ways.password ? 1 : 0) + ways.passkeys + (ways.emailCode ? 1 : 0) + ways.linkedAccounts;
}
