// SQLite migrations — Loyalty: members and their ledger, partners, imported cards, the progressive profile, coupons.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const loyaltyMigrations: readonly Migration[] = [
  {
    version: 5,
    // Loyalty members and their append-only points ledger. The member row caches the newest entry's
    // balance, lifetime and sequence so a post reads one row; the CHECKs refuse a negative balance or an
    // entry whose sign does not fit its kind even from a hand-written statement, and the triggers
    // refuse any UPDATE or DELETE of an entry (the adapter never issues one: a correction is a new
    // entry). The foreign key ties entries to a member within this aggregate (the adapter checks it
    // first, so it only ever fires on hand-written SQL).
    sql: `
      CREATE TABLE loyalty_members (
        account_id TEXT PRIMARY KEY,
        member_number TEXT NOT NULL UNIQUE,
        enrolment_channel TEXT NOT NULL CHECK (enrolment_channel IN ('web', 'app', 'kiosk', 'partner')),
        balance INTEGER NOT NULL CHECK (balance >= 0),
        lifetime_points INTEGER NOT NULL CHECK (lifetime_points >= 0),
        last_sequence INTEGER NOT NULL CHECK (last_sequence >= 0),
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE ledger_entries (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES loyalty_members (account_id),
        sequence INTEGER NOT NULL CHECK (sequence >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'reverse', 'expire')),
        points INTEGER NOT NULL CHECK (points <> 0),
        balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
        lifetime_after INTEGER NOT NULL CHECK (lifetime_after >= 0),
        partner_id TEXT,
        reason TEXT NOT NULL CHECK (length(reason) <= 200),
        idempotency_key TEXT NOT NULL UNIQUE,
        request_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, sequence),
        CHECK ((kind = 'earn' AND points > 0) OR (kind IN ('redeem', 'expire') AND points < 0) OR kind IN ('adjust', 'reverse'))
      ) STRICT;

      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
      CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
    `,
  },
  {
    version: 6,
    // Partners (organizations) and the members who signed in to each, under the partner's pairwise sub.
    sql: `
      CREATE TABLE partners (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX partners_created_at ON partners (created_at, id);

      CREATE TABLE partner_member_links (
        partner_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        account_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (partner_id, subject)
      ) STRICT;
      CREATE INDEX partner_member_links_account ON partner_member_links (account_id);
    `,
  },
  {
    version: 7,
    // Members imported from the old program, waiting to be claimed. The card number is text (leading zeros
    // count); claimed_by is set once, by a conditional UPDATE, and the CHECKs keep it and claimed_at together
    // and the balance non-negative even for hand-written SQL.
    sql: `
      CREATE TABLE imported_members (
        card_number TEXT PRIMARY KEY CHECK (length(card_number) BETWEEN 8 AND 19 AND card_number NOT GLOB '*[^0-9]*'),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        email TEXT,
        phone TEXT,
        balance INTEGER NOT NULL CHECK (balance >= 0),
        imported_at INTEGER NOT NULL,
        claimed_by TEXT,
        claimed_at INTEGER,
        CHECK ((claimed_by IS NULL) = (claimed_at IS NULL))
      ) STRICT;
    `,
  },
  {
    version: 8,
    // Progressive profile: one row per declared field (so changes to different fields never undo each
    // other), and the member's sign-in count (fields may wait for the n-th sign-in).
    sql: `
      CREATE TABLE profile_fields (
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT,
        skipped_at INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, name)
      ) STRICT;
      CREATE TABLE profile_sign_ins (
        account_id TEXT PRIMARY KEY,
        count INTEGER NOT NULL CHECK (count >= 0)
      ) STRICT;
    `,
  },
  {
    version: 10,
    // Coupon campaigns (one code per partner) and their uses: a use holds one slot row per limit, keyed
    // "<campaign>:<n>" (total) and "<campaign>:<account>:<k>" (per member), so a limit is a primary key.
    sql: `
      CREATE TABLE coupon_campaigns (
        id TEXT PRIMARY KEY,
        partner_id TEXT NOT NULL,
        code TEXT NOT NULL CHECK (length(code) BETWEEN 4 AND 32 AND code NOT GLOB '*[^A-Z0-9-]*'),
        points INTEGER NOT NULL CHECK (points > 0),
        per_member_limit INTEGER NOT NULL CHECK (per_member_limit > 0),
        total_limit INTEGER NOT NULL CHECK (total_limit > 0),
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        CHECK (ends_at > starts_at),
        UNIQUE (partner_id, code)
      ) STRICT;
      CREATE INDEX coupon_campaigns_code ON coupon_campaigns (code);
      CREATE TABLE coupon_uses (
        id TEXT PRIMARY KEY,
        campaign_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('total', 'member')),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX coupon_uses_campaign ON coupon_uses (campaign_id, kind);
    `,
  },
  {
    version: 11,
    // Coupons, continued. Campaigns may have generated codes instead of one code (so code becomes nullable:
    // the table is rebuilt, as SQLite cannot relax NOT NULL) and may be ended early. Generated codes get their
    // own table, one row per (partner, code), whose use columns are set once. A use (its total slot) records the
    // code and points it was taken for, the caller's idempotency key, and when its ledger earn was confirmed,
    // so a sweep can credit uses whose earn a crash cut short; uses from before this version are checked once.
    sql: `
      CREATE TABLE coupon_campaigns_v11 (
        id TEXT PRIMARY KEY,
        partner_id TEXT NOT NULL,
        code TEXT CHECK (code IS NULL OR (length(code) BETWEEN 4 AND 32 AND code NOT GLOB '*[^A-Z0-9-]*')),
        code_pattern TEXT CHECK (code_pattern IS NULL OR (length(code_pattern) BETWEEN 4 AND 32 AND code_pattern NOT GLOB '*[^A-Z0-9#-]*')),
        code_count INTEGER NOT NULL DEFAULT 0 CHECK (code_count BETWEEN 0 AND 10000),
        points INTEGER NOT NULL CHECK (points > 0),
        per_member_limit INTEGER NOT NULL CHECK (per_member_limit > 0),
        total_limit INTEGER NOT NULL CHECK (total_limit > 0),
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        ended_at INTEGER,
        created_at INTEGER NOT NULL,
        CHECK (ends_at > starts_at),
        CHECK ((code IS NULL) <> (code_pattern IS NULL)),
        CHECK ((code_pattern IS NULL) = (code_count = 0)),
        CHECK (code_pattern IS NULL OR total_limit <= code_count),
        UNIQUE (partner_id, code)
      ) STRICT;
      INSERT INTO coupon_campaigns_v11 (id, partner_id, code, points, per_member_limit, total_limit, starts_at, ends_at, created_at)
        SELECT id, partner_id, code, points, per_member_limit, total_limit, starts_at, ends_at, created_at FROM coupon_campaigns;
      DROP TABLE coupon_campaigns;
      ALTER TABLE coupon_campaigns_v11 RENAME TO coupon_campaigns;
      CREATE INDEX coupon_campaigns_code ON coupon_campaigns (code);
      CREATE INDEX coupon_campaigns_partner ON coupon_campaigns (partner_id, created_at, id);

      CREATE TABLE coupon_codes (
        partner_id TEXT NOT NULL,
        code TEXT NOT NULL CHECK (length(code) BETWEEN 4 AND 32 AND code NOT GLOB '*[^A-Z0-9-]*'),
        campaign_id TEXT NOT NULL,
        use_id TEXT,
        account_id TEXT,
        used_at INTEGER,
        PRIMARY KEY (partner_id, code),
        CHECK ((use_id IS NULL) = (used_at IS NULL) AND (use_id IS NULL) = (account_id IS NULL))
      ) STRICT;
      CREATE INDEX coupon_codes_campaign ON coupon_codes (campaign_id, code);
      CREATE INDEX coupon_codes_code ON coupon_codes (code);

      ALTER TABLE coupon_uses ADD COLUMN code TEXT;
      ALTER TABLE coupon_uses ADD COLUMN points INTEGER CHECK (points IS NULL OR points > 0);
      ALTER TABLE coupon_uses ADD COLUMN idempotency_key TEXT;
      ALTER TABLE coupon_uses ADD COLUMN request_hash TEXT;
      ALTER TABLE coupon_uses ADD COLUMN credited_at INTEGER;
      CREATE UNIQUE INDEX coupon_uses_idempotency_key ON coupon_uses (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX coupon_uses_uncredited ON coupon_uses (created_at) WHERE kind = 'total' AND credited_at IS NULL;
    `,
  },
  {
    version: 22,
    // Bulk member import (issue 19): the last committed batch of a run, and the old program's data kept on the member.
    sql: `
      CREATE TABLE import_checkpoints (
        key TEXT PRIMARY KEY,
        line INTEGER NOT NULL CHECK (line >= 0),
        batches INTEGER NOT NULL CHECK (batches >= 0),
        counts TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE import_jobs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
        format TEXT NOT NULL CHECK (format IN ('ndjson', 'csv')),
        size INTEGER NOT NULL CHECK (size >= 0),
        counts TEXT NOT NULL,
        line INTEGER NOT NULL CHECK (line >= 0),
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX import_jobs_state ON import_jobs (state);
      CREATE TABLE import_row_errors (
        job_id TEXT NOT NULL,
        line INTEGER NOT NULL,
        field TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (job_id, line)
      ) STRICT;
      CREATE TABLE member_import_data (
        account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 31,
    // Redemptions held for review (issue 21): the ledger learns two kinds, `hold` (reserves a held redemption's
    // points) and `hold_return` (gives them back when the review rejects it). SQLite cannot change a CHECK in
    // place, so the ledger is rebuilt with its rows, constraints and triggers as they stand (privacy's update
    // trigger lets erasure move entries to a tombstone). A hold's record points at its entry; status changes once.
    sql: `
      CREATE TABLE ledger_entries_v31 (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES loyalty_members (account_id),
        sequence INTEGER NOT NULL CHECK (sequence >= 1),
        kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'reverse', 'expire', 'hold', 'hold_return')),
        points INTEGER NOT NULL CHECK (points <> 0),
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
      INSERT INTO ledger_entries_v31 SELECT id, account_id, sequence, kind, points, balance_after, lifetime_after, partner_id, reason,
        idempotency_key, request_hash, created_at FROM ledger_entries;
      DROP TABLE ledger_entries;
      ALTER TABLE ledger_entries_v31 RENAME TO ledger_entries;
      CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OF id, sequence, kind, points, balance_after, lifetime_after,
        partner_id, reason, idempotency_key, request_hash, created_at ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
      CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;

      CREATE TABLE held_redemptions (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        points INTEGER NOT NULL CHECK (points > 0),
        partner_id TEXT,
        reason TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        entry_id TEXT NOT NULL UNIQUE,
        score INTEGER NOT NULL,
        signals TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('held', 'released', 'rejected')),
        created_at INTEGER NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        CHECK ((status = 'held') = (decided_at IS NULL))
      ) STRICT;
      CREATE INDEX held_redemptions_status ON held_redemptions (status, created_at, id);
      CREATE INDEX held_redemptions_account ON held_redemptions (account_id, created_at);
    `,
  },
  {
    version: 37,
    // Duplicate detection (issue 21 item 1) asks by index only: the claimed cards of a member, the claimers of a
    // card by its contact phone, and the members born on one day (profile fields by name and value).
    sql: `
      CREATE INDEX imported_members_claimed_by ON imported_members (claimed_by) WHERE claimed_by IS NOT NULL;
      CREATE INDEX imported_members_claimed_phone ON imported_members (phone) WHERE phone IS NOT NULL AND claimed_by IS NOT NULL;
      CREATE INDEX profile_fields_name_value ON profile_fields (name, value) WHERE value IS NOT NULL;
    `,
  },
  {
    version: 47,
    // Version 37's index on every profile field by (name, value) serves one lookup, duplicate detection's members
    // born on one day: the other names only cost an entry each, on a random page of the index, per field written.
    // A bulk import writes three names per member, and those entries were the largest share of its B-tree work
    // (100k members: 1.1 of 1.6 s CPU of profile_fields inserts; 1M members: most of 20 s, and the WAL pages they
    // dirty). The index now holds birthdates only; the staff search by name prefix, which scanned all given and
    // family names in it (LIKE is case-insensitive, so no range on the value), walks profile_fields in account order.
    sql: `
      DROP INDEX profile_fields_name_value;
      CREATE INDEX profile_fields_birthdate ON profile_fields (value) WHERE name = 'birthdate';
    `,
  },
];
