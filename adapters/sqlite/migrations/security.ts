// SQLite migrations — Security and operations: the audit log, rate-limit windows, devices, the readiness probe.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const securityMigrations: readonly Migration[] = [
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
    version: 18,
    // What each member consented to share with each client (scopes, claims, resource scopes as JSON), kept
    // past sessions so a partner's consent page comes back only for new scopes or after a withdrawal.
    sql: `
      CREATE TABLE member_consents (
        account_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL CHECK (json_valid(scopes)),
        claims TEXT NOT NULL CHECK (json_valid(claims)),
        resources TEXT NOT NULL CHECK (json_valid(resources)),
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, client_id)
      ) STRICT;
    `,
  },
  {
    version: 27,
    // When each member last signed in to or got tokens for each client ("Apps and partners", issue 17 item 2):
    // one row per (account, client), upserted at the token endpoint on the NORMAL connection; deleted when the
    // member stops sharing with the client, so first_used_at is "since when" of the current consent.
    sql: `
      CREATE TABLE member_client_uses (
        account_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        first_used_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, client_id)
      ) STRICT;
    `,
  },
  {
    version: 41,
    // Issue 20: the console's security page filters the audit log by address, newest first (an attacker's trail
    // across accounts). Country filters ride the (at, id) index: countries are few, each matches many rows.
    sql: `
      CREATE INDEX audit_events_ip ON audit_events (ip, at, id) WHERE ip IS NOT NULL;
    `,
  },
];
