// STAFF_OWNER_EMAIL (issue 20): at boot, the first operator gets the owner role, so someone can grant the others.
import type { Logger } from 'pino';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import { normaliseEmail } from '../accounts/email-address.ts';
import type { StaffRepository } from './staff.repository.ts';

/**
 * Only a verified address, and only a member with no roles yet: the variable bootstraps, it never overrides
 * roles an owner changed through the admin API afterwards (removing the bootstrap owner's role sticks).
 */
export async function ensureStaffOwner(deps: { accounts: Pick<AccountsRepository, 'findByEmail'>; staff: Pick<StaffRepository, 'find' | 'setRoles'>; logger: Logger }, email: string | undefined): Promise<void> {
  if (!email) return;
  const account = await deps.accounts.findByEmail(normaliseEmail(email));
  if (!account || !account.emailVerified) {
    deps.logger.warn('STAFF_OWNER_EMAIL: no member with this verified email yet; sign up with it, then restart');
    return;
  }
  // Version 0: only when the account has no roles row at all (concurrent boots of several instances grant once).
  const result = await deps.staff.setRoles(account.id, ['owner'], 0);
  if (result.ok) deps.logger.info({ accountId: account.id }, 'STAFF_OWNER_EMAIL: staff role owner granted');
}
