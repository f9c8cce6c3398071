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
];
