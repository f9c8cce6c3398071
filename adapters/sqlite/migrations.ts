// Numbered SQLite schema migrations, applied in version order at open; never edit a released one, add a new
// one with the next free version (the highest in the subject files + 1) in the file of its subject.
import { analyticsMigrations } from './migrations/analytics.ts';
import { eventsMigrations } from './migrations/events.ts';
import { hookMigrations } from './migrations/hooks.ts';
import { identityMigrations } from './migrations/identity.ts';
import { loyaltyMigrations } from './migrations/loyalty.ts';
import { mergeMigrations } from './migrations/merges.ts';
import { privacyMigrations } from './migrations/privacy.ts';
import { securityMigrations } from './migrations/security.ts';
import { staffMigrations } from './migrations/staff.ts';

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/** Every migration, by version (database.ts applies them in that order and records each). */
export const migrations: readonly Migration[] = [...identityMigrations, ...loyaltyMigrations, ...securityMigrations, ...hookMigrations, ...eventsMigrations, ...privacyMigrations, ...analyticsMigrations, ...staffMigrations, ...mergeMigrations]
  .sort((a, b) => a.version - b.version);
