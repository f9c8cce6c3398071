// SQLite migrations — Analytics: rollup counters, distinct-member marks, and the outbox's counted mark.
// Released migrations are never edited: add a new one with the next free version (adapters/sqlite/migrations.ts).
import type { Migration } from '../migrations.ts';

export const analyticsMigrations: readonly Migration[] = [
  {
    version: 28,
    // `counted_at` is the rollup consumer's own mark on each event, set in the transaction that adds the event to
    // the counters (so a crash re-reads nothing counted). Not an id cursor: an event can commit with an id below
    // one already counted (ids are taken before the transaction; derived ids carry the change's time). The partial
    // index holds only events still to count. Events already in the outbox are counted on the first run (backfill).
    sql: `
      ALTER TABLE events ADD COLUMN counted_at INTEGER;
      CREATE INDEX events_uncounted ON events (id) WHERE counted_at IS NULL;
      CREATE TABLE analytics_counters (
        metric TEXT NOT NULL,
        t INTEGER NOT NULL,
        dims TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (metric, t, dims)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE analytics_marks (
        key TEXT PRIMARY KEY,
        member_id TEXT,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX analytics_marks_expiry ON analytics_marks (expires_at);
      CREATE INDEX analytics_marks_member ON analytics_marks (member_id) WHERE member_id IS NOT NULL;
    `,
  },
];
