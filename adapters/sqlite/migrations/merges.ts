// SQLite migrations — Member merges (issue 21): the merge records (tombstones of absorbed members) and partners' old subs.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const mergeMigrations: readonly Migration[] = [
  {
    version: 36,
    // One row per merge: absorbed_id is unique (a member is absorbed once and stays a tombstone pointing at the
    // survivor); request_key makes a retried request answer the first merge. Partners' old subs map to the
    // survivor's for 90 days (every read checks expires_at; the sweep removes them). A merged loyalty member keeps
    // its ledger (accounting) and refuses new posts: merged_into says where its points went.
    sql: `
      CREATE TABLE member_merges (
        id TEXT PRIMARY KEY,
        survivor_id TEXT NOT NULL,
        absorbed_id TEXT NOT NULL UNIQUE,
        request_key TEXT NOT NULL UNIQUE,
        initiated_by TEXT NOT NULL CHECK (json_valid(initiated_by)),
        proof TEXT NOT NULL CHECK (json_valid(proof)),
        reason TEXT NOT NULL CHECK (length(reason) <= 200),
        status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
        subjects TEXT NOT NULL CHECK (json_valid(subjects)),
        redirect_until INTEGER NOT NULL,
        points_moved INTEGER NOT NULL CHECK (points_moved >= 0),
        lifetime_carried INTEGER NOT NULL CHECK (lifetime_carried >= 0),
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        CHECK (survivor_id <> absorbed_id)
      ) STRICT;
      CREATE INDEX member_merges_survivor ON member_merges (survivor_id, created_at);
      CREATE TABLE merged_subjects (
        partner_id TEXT NOT NULL,
        old_subject TEXT NOT NULL,
        new_subject TEXT NOT NULL,
        merge_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (partner_id, old_subject)
      ) STRICT;
      CREATE INDEX merged_subjects_expires ON merged_subjects (expires_at);
      ALTER TABLE loyalty_members ADD COLUMN merged_into TEXT;
    `,
  },
  {
    version: 46,
    // A merge's adjust may be 0 points (issue 21): an absorbed member without balance still carries its lifetime
    // points to the survivor on the survivor's merge entry (keys `merge:<id>:in` and `:out`). Only a merge's adjust:
    // every other entry still moves points. SQLite cannot change a CHECK in place, so the ledger is rebuilt with
    // its rows, constraints and triggers as they stand (as version 31 did).
    sql: `
      CREATE TABLE ledger_entries_v46 (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES loyalty_members (account_id),
        sequence INTEGER NOT NULL CHECK (sequence >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'reverse', 'expire', 'hold', 'hold_return')),
        points INTEGER NOT NULL CHECK (points <> 0 OR (kind = 'adjust' AND idempotency_key LIKE 'merge:%')),
        balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
        lifetime_after INTEGER NOT NULL CHECK (lifetime_after >= 0),
        partner_id TEXT,
        reason TEXT NOT NULL CHECK (length(reason) <= 200),
        idempotency_key TEXT NOT NULL UNIQUE,
        request_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, sequence),
        CHECK ((kind IN ('earn', 'hold_return') AND points > 0) OR (kind IN ('redeem', 'expire', 'hold') AND points < 0) OR kind IN ('adjust', 'reverse'))
      ) STRICT;
      INSERT INTO ledger_entries_v46 SELECT id, account_id, sequence, kind, points, balance_after, lifetime_after, partner_id, reason,
        idempotency_key, request_hash, created_at FROM ledger_entries;
      DROP TABLE ledger_entries;
      ALTER TABLE ledger_entries_v46 RENAME TO ledger_entries;
      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF id, sequence, kind, points, balance_after, lifetime_after,
        partner_id, reason, request_hash, created_at ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
      CREATE TRIGGER ledger_entries_key_with_account BEFORE UPDATE OF idempotency_key ON ledger_entries
        WHEN NEW.account_id IS OLD.account_id AND NEW.idempotency_key IS NOT OLD.idempotency_key
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
      CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
    `,
  },
];
