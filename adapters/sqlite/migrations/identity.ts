// SQLite migrations — Accounts, clients, signing keys and the ways members sign in (factors, passkeys, phones).
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const identityMigrations: readonly Migration[] = [
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
    version: 9,
    // When the phone last changed: redemptions pause for 24 hours after a change of a code-receiving contact.
    sql: 'ALTER TABLE accounts ADD COLUMN contact_changed_at INTEGER;',
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
  {
    version: 23,
    // Upstream identity providers (issue 16): the kind's settings as one JSON object (secret sealed inside).
    sql: `
      CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        settings TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX connections_created ON connections (created_at, id);
      -- Linked upstream identities: the primary key is the only way a link is found (never an email).
      CREATE TABLE federated_identities (
        connection_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        account_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        PRIMARY KEY (connection_id, subject)
      ) STRICT;
      CREATE INDEX federated_identities_account ON federated_identities (account_id);
    `,
  },
  {
    version: 25,
    // SAML (issue 16): the replay cache of accepted assertion ids, each until its NotOnOrAfter; our IdP signing key.
    sql: `
      CREATE TABLE saml_assertion_ids (
        connection_id TEXT NOT NULL,
        assertion_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (connection_id, assertion_id)
      ) STRICT;
      CREATE INDEX saml_assertion_ids_expires ON saml_assertion_ids (expires_at);
      -- Our SAML IdP signing key for partners' SAML service providers: the certificate, the key sealed.
      CREATE TABLE saml_idp_keys (
        id TEXT PRIMARY KEY,
        certificate TEXT NOT NULL,
        sealed_private_key TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 45,
    // Phone-first members (issue 21): a member may hold a verified mobile and no email, so email becomes
    // nullable, still unique where present (UNIQUE ignores NULLs). SQLite cannot drop NOT NULL in place: the
    // table is rebuilt with every row and column. member_import_data references accounts ON DELETE CASCADE and
    // foreign keys are on (they cannot be switched off inside the migration's transaction), so its rows are
    // set aside before the old table goes and put back after; the phone index is re-created.
    sql: `
      CREATE TABLE accounts_v45 (
        id TEXT PRIMARY KEY,
        email TEXT UNIQUE,
        email_verified INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
        password_hash TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        credentials_changed_at INTEGER,
        phone TEXT,
        contact_changed_at INTEGER,
        password_from_mailbox_at INTEGER
      ) STRICT;
      INSERT INTO accounts_v45 (id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at, phone, contact_changed_at, password_from_mailbox_at)
        SELECT id, email, email_verified, password_hash, created_at, updated_at, credentials_changed_at, phone, contact_changed_at, password_from_mailbox_at FROM accounts;
      CREATE TEMP TABLE member_import_data_v45 AS SELECT account_id, data, updated_at FROM member_import_data;
      DROP TABLE accounts;
      ALTER TABLE accounts_v45 RENAME TO accounts;
      CREATE UNIQUE INDEX accounts_phone ON accounts (phone) WHERE phone IS NOT NULL;
      INSERT INTO member_import_data (account_id, data, updated_at) SELECT account_id, data, updated_at FROM member_import_data_v45;
      DROP TABLE member_import_data_v45;
    `,
  },
];
