// SQLite migrations — Members' data rights: stored exports, scheduled erasures, and the ledger's anonymisation.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const privacyMigrations: readonly Migration[] = [
  {
    version: 21,
    // Exports are kept 7 days (expires_at, swept); an erasure request is one row per account, due at erase_at.
    // The ledger stays append-only except for one column: erasure replaces account_id by a random tombstone
    // (GDPR art. 17 with accounting kept), so the no-update trigger now guards every other column.
    sql: `
      CREATE TABLE member_exports (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        archive TEXT,
        created_at INTEGER NOT NULL,
        ready_at INTEGER,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX member_exports_account ON member_exports (account_id);
      CREATE INDEX member_exports_expires_at ON member_exports (expires_at);

      CREATE TABLE erasure_requests (
        account_id TEXT PRIMARY KEY,
        requested_at INTEGER NOT NULL,
        erase_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX erasure_requests_due ON erasure_requests (erase_at);

      DROP TRIGGER ledger_entries_no_update;
      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF id, sequence, kind, points, balance_after, lifetime_after,
        partner_id, reason, idempotency_key, request_hash, created_at ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
    `,
  },
  {
    version: 34,
    // Idempotency keys that name the account (redemptions, imports) are re-keyed with it on erasure, so no key
    // leads back to the person: idempotency_key may change, but only in the same update that moves account_id.
    sql: `
      DROP TRIGGER ledger_entries_no_update;
      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF id, sequence, kind, points, balance_after, lifetime_after,
        partner_id, reason, request_hash, created_at ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
      CREATE TRIGGER ledger_entries_key_with_account BEFORE UPDATE OF idempotency_key ON ledger_entries
        WHEN NEW.account_id IS OLD.account_id AND NEW.idempotency_key IS NOT OLD.idempotency_key
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
    `,
  },
  {
    version: 26,
    // Purpose consents (issue 17 items 1 and 3): an append-only history of grants and refusals (the current
    // answer is the latest per purpose) and the signed receipt of each change. Erasure deletes the records and
    // keeps each receipt's decisions under a tombstone without the JWS (which names the member).
    sql: `
      CREATE TABLE purpose_consent_records (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        version INTEGER NOT NULL,
        granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
        at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        client_id TEXT,
        method TEXT NOT NULL,
        receipt_id TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX purpose_consent_records_account ON purpose_consent_records (account_id, at, seq);

      CREATE TABLE purpose_consent_receipts (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        jws TEXT,
        decisions TEXT NOT NULL,
        method TEXT NOT NULL
      ) STRICT;
      CREATE INDEX purpose_consent_receipts_account ON purpose_consent_receipts (account_id, issued_at);
    `,
  },
];
