// Numbered SQLite schema migrations, applied in order at open; never edit a released one, add a new one.
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    // STRICT tables so a wrong type is an error, not a silent coercion; dates are epoch milliseconds.
    sql: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        email_verified INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
        password_hash TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        credentials_changed_at INTEGER
      ) STRICT;

      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
        public_jwk TEXT NOT NULL,
        encrypted_private_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX signing_keys_created_at ON signing_keys (created_at, kid);

      CREATE TABLE one_time_codes (
        purpose TEXT NOT NULL,
        subject TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        expires_at INTEGER NOT NULL,
        consumed_at INTEGER,
        sent_at INTEGER NOT NULL,
        data TEXT,
        PRIMARY KEY (purpose, subject)
      ) STRICT;

      CREATE TABLE oidc_payloads (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL,
        grant_id TEXT,
        user_code TEXT,
        uid TEXT,
        account_id TEXT,
        expires_at INTEGER,
        consumed INTEGER,
        PRIMARY KEY (model, id)
      ) STRICT;
      -- Partial indexes: most rows (access tokens, client-credentials tokens) have none of these
      -- fields, and skipping their index writes is most of the cost of issuing a token.
      CREATE INDEX oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_payloads_user_code ON oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_payloads_grant_id ON oidc_payloads (model, grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_payloads_account_id ON oidc_payloads (model, account_id) WHERE account_id IS NOT NULL;
      CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    // Second factors. No foreign keys to accounts: the Mongo adapter cannot have them, and both must
    // behave alike; removing an account's factors is the caller's job.
    sql: `
      CREATE TABLE factors (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('totp')),
        secret TEXT NOT NULL,
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        confirmed_at INTEGER,
        last_used_at INTEGER
      ) STRICT;
      CREATE INDEX factors_account_id ON factors (account_id, created_at, id);

      CREATE TABLE recovery_codes (
        account_id TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        used_at INTEGER,
        PRIMARY KEY (account_id, code_hash)
      ) STRICT;

      -- One row per accepted one-time value (a TOTP time step): the primary key refuses a replay.
      CREATE TABLE factor_uses (
        factor_id TEXT NOT NULL,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (factor_id, value)
      ) STRICT;
      CREATE INDEX factor_uses_expires_at ON factor_uses (expires_at);
    `,
  },
  {
    version: 3,
    // Passkeys (WebAuthn credentials). The id is the credential id, so the primary key keeps it unique across
    // accounts; no foreign key to accounts, as in version 2. Transports are a JSON array (order kept).
    sql: `
      CREATE TABLE passkeys (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        counter INTEGER NOT NULL CHECK (counter >= 0),
        transports TEXT NOT NULL,
        device_type TEXT NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
        backed_up INTEGER NOT NULL CHECK (backed_up IN (0, 1)),
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      ) STRICT;
      CREATE INDEX passkeys_account_id ON passkeys (account_id, created_at, id);
    `,
  },
  {
    version: 4,
    // A verified mobile number (E.164) per account, unique across accounts when present; existing
    // accounts get NULL. The partial index keeps the many NULLs out of it.
    sql: `
      ALTER TABLE accounts ADD COLUMN phone TEXT;
      CREATE UNIQUE INDEX accounts_phone ON accounts (phone) WHERE phone IS NOT NULL;
    `,
  },
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
    version: 9,
    // When the phone last changed: redemptions pause for 24 hours after a change of a code-receiving contact.
    sql: 'ALTER TABLE accounts ADD COLUMN contact_changed_at INTEGER;',
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
    version: 14,
    // Devices each account signed in on (risk signals: new device, new country, impossible travel). The device
    // cookie is stored only as an HMAC; one row per (account, device).
    sql: `
      CREATE TABLE known_devices (
        account_id TEXT NOT NULL,
        device_hash TEXT NOT NULL CHECK (length(device_hash) BETWEEN 16 AND 128),
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        last_ip TEXT,
        last_country TEXT,
        user_agent TEXT,
        PRIMARY KEY (account_id, device_hash),
        CHECK (last_seen_at >= first_seen_at)
      ) STRICT;
      CREATE INDEX known_devices_recent ON known_devices (account_id, last_seen_at);
    `,
  },
  {
    version: 12,
    // The security audit log. Append-only: the trigger refuses any UPDATE even from hand-written SQL (DELETE
    // stays, for retention). Indexes serve newest-first pages per account (partial: admin actions have no
    // account), across all accounts, and per type; `details` is a JSON object of flat values.
    sql: `
      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
        at INTEGER NOT NULL,
        account_id TEXT,
        ip TEXT,
        user_agent TEXT,
        country TEXT,
        reason TEXT,
        details TEXT NOT NULL CHECK (json_valid(details) AND json_type(details) = 'object')
      ) STRICT;
      CREATE INDEX audit_events_account ON audit_events (account_id, at, id) WHERE account_id IS NOT NULL;
      CREATE INDEX audit_events_at ON audit_events (at, id);
      CREATE INDEX audit_events_type ON audit_events (type, at, id);
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
    `,
  },
  {
    version: 13,
    // Rate-limit windows, one row per (rule, key): the key is the 43-character base64url SHA-256 of the rule
    // name and the caller's key (emails and IPs are never stored in clear). `consumed` counts refused points
    // too; ends_at (epoch ms) is the window's or its block's end, swept once past.
    sql: `
      CREATE TABLE rate_limits (
        key TEXT PRIMARY KEY CHECK (length(key) = 43),
        consumed INTEGER NOT NULL CHECK (consumed >= 0),
        ends_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX rate_limits_ends_at ON rate_limits (ends_at);
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
    version: 15,
    // One row every instance upserts for the readiness write probe (Storage.canWrite): proves the file takes writes.
    sql: `
      CREATE TABLE health_probe (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        checked_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 16,
    // Signing-key rotation: a key is published when made, signs from active_from, leaves the JWKS at retire_at.
    // Keys from before this version have always been signing.
    sql: `
      ALTER TABLE signing_keys ADD COLUMN active_from INTEGER;
      UPDATE signing_keys SET active_from = created_at;
      ALTER TABLE signing_keys ADD COLUMN retire_at INTEGER;
    `,
  },
  {
    version: 17,
    // When the password was last set by the emailed reset code (it then proves the mailbox, not knowledge).
    sql: 'ALTER TABLE accounts ADD COLUMN password_from_mailbox_at INTEGER;',
  },
];
