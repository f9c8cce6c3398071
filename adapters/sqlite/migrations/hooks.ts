// SQLite migrations — Hooks: the operator's callouts at fixed points, and the claims post-login hooks added.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const hookMigrations: readonly Migration[] = [
  {
    // 19, not 18: issue 18's events outbox was built in parallel and takes the next free version.
    version: 19,
    // One hook per point (UNIQUE): a sign-in waits on at most one callout. Claims are keyed by (account, client),
    // the latest sign-in's answer replacing the previous one.
    sql: `
      CREATE TABLE hooks (
        id TEXT PRIMARY KEY,
        point TEXT NOT NULL UNIQUE CHECK (point IN ('pre-registration', 'post-login', 'pre-token', 'post-redemption')),
        url TEXT NOT NULL,
        timeout_ms INTEGER NOT NULL CHECK (timeout_ms BETWEEN 1 AND 10000),
        failure_policy TEXT NOT NULL CHECK (failure_policy IN ('open', 'closed')),
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        claim_namespace TEXT,
        secret_sealed TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE hook_claims (
        account_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        claims TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, client_id)
      ) STRICT;
    `,
  },
];
