// SQLite migrations — Staff (issue 20): roles per account, and points adjustments waiting for a second person.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const staffMigrations: readonly Migration[] = [
  {
    // 30: the version issue 20 was given (others were built in parallel). Roles are a JSON array of known
    // names; `version` is the optimistic-concurrency counter of role edits.
    version: 30,
    sql: `
      CREATE TABLE staff_roles (
        account_id TEXT PRIMARY KEY,
        roles TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE points_adjustments (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        points INTEGER NOT NULL CHECK (points <> 0),
        reason TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        request_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        decided_by TEXT,
        decided_at INTEGER,
        ledger_entry_id TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX points_adjustments_account ON points_adjustments (account_id, status, created_at);
    `,
  },
  {
    // 39: the version given to issue 20's member actions. A member whose redemptions staff froze (one row while
    // frozen): who froze them, why and when; unfreezing deletes the row, the audit log keeps the history.
    version: 39,
    sql: `
      CREATE TABLE redemption_freezes (
        account_id TEXT PRIMARY KEY,
        frozen_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        frozen_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
