// SQLite migrations — Events: the transactional outbox, worker leases, webhook subscriptions and their deliveries.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const eventsMigrations: readonly Migration[] = [
  {
    version: 20,
    // The outbox: rows are written in the transaction of the change they describe. The partial index holds only
    // what the relay still has to read, so it stays small however long the table grows. Ids are UUIDv7 (time
    // first), so a time range is a primary-key range: no index on time to write with every sign-in.
    sql: `
      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        time INTEGER NOT NULL,
        member_id TEXT,
        data TEXT NOT NULL,
        published_at INTEGER
      ) STRICT;
      CREATE INDEX events_unpublished ON events (id) WHERE published_at IS NULL;
      CREATE TABLE worker_leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        partner_id TEXT,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_until INTEGER,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE webhook_deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        lane TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts TEXT NOT NULL,
        next_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (webhook_id, lane, event_id) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
    `,
  },  {
    version: 35,
    // A replay's round (server/domain/events/webhooks.repository.ts): an attempt in flight when the replay came
    // must not mark the replayed delivery delivered.
    sql: 'ALTER TABLE webhook_deliveries ADD COLUMN round INTEGER NOT NULL DEFAULT 0;',
  },  {
    version: 44,
    // An event's deliveries, found by its id: erasure and the outbox's retention remove them with the event.
    sql: 'CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);',
  },
];
