// Fake-account clean-up: sign-ups whose email was never verified are deleted after UNVERIFIED_ACCOUNT_DAYS,
// with what was made alongside them (member record, profile answers, devices), so bots cannot squat on
// addresses or member numbers and the member base counts people.
import type { Logger } from 'pino';
import type { DevicesRepository } from '../devices/devices.repository.ts';
import type { LoyaltyRepository } from '../loyalty/loyalty.repository.ts';
import type { ProfilesRepository } from '../profile/profiles.repository.ts';
import type { AccountsRepository } from './accounts.repository.ts';

/** Per sweep; the next sweep takes the rest, so one sweep never holds the store for long. */
const BATCH = 500;

export interface UnverifiedCleanupDeps {
  accounts: AccountsRepository;
  loyalty: LoyaltyRepository;
  profiles: ProfilesRepository;
  devices: DevicesRepository;
  logger: Logger;
}

export async function deleteUnverifiedAccounts(deps: UnverifiedCleanupDeps, maxAgeDays: number, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - maxAgeDays * 24 * 60 * 60 * 1000);
  let deleted = 0;
  for (const id of await deps.accounts.listUnverified(before, BATCH)) {
    // Conditional: an account verified since it was listed stays.
    if (!(await deps.accounts.deleteUnverified(id, before))) continue;
    deleted += 1;
    const memberGone = await deps.loyalty.deleteMemberWithoutEntries(id);
    if (!memberGone) deps.logger.warn({ accountId: id }, 'deleted an unverified account whose member has ledger entries: member kept');
    await deps.profiles.delete(id);
    await deps.devices.deleteByAccount(id);
  }
  return deleted;
}
