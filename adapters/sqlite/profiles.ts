// SQLite progressive profiles: a row per (account, field), upserted one field at a time.
import type { DatabaseSync } from 'node:sqlite';
import type { Profile, ProfilesRepository } from '../../server/domain/profile/profiles.repository.ts';
import { profileUpdatedEvent } from '../../server/domain/events/domain-event.ts';
import { immediateTransaction } from './database.ts';
import { insertEvents } from './events.ts';
import { date, dateOrNull, integer, text, textOrNull } from './rows.ts';

export class SqliteProfilesRepository implements ProfilesRepository {
  private readonly db: DatabaseSync;
  private readonly fieldsStmt;
  private readonly signInsStmt;
  private readonly setValueStmt;
  private readonly skipStmt;
  private readonly countStmt;

  /**
   * `counters` is the synchronous=NORMAL connection: the sign-in counter is written on every sign-in, and an
   * fsync'd commit there cost ~2 ms of blocked event loop per sign-in (profiled under bench/sign-in-throughput).
   * A power cut that loses the last increments only asks a profile question a sign-in later.
   */
  private readonly counters: DatabaseSync;

  constructor(db: DatabaseSync, counters: DatabaseSync = db) {
    this.db = db;
    this.counters = counters;
    this.fieldsStmt = db.prepare('SELECT name, value, skipped_at, updated_at FROM profile_fields WHERE account_id = ?');
    this.signInsStmt = counters.prepare('SELECT count FROM profile_sign_ins WHERE account_id = ?');
    this.setValueStmt = db.prepare(`INSERT INTO profile_fields (account_id, name, value, skipped_at, updated_at) VALUES (?, ?, ?, NULL, ?)
      ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, skipped_at = NULL, updated_at = excluded.updated_at`);
    this.skipStmt = db.prepare(`INSERT INTO profile_fields (account_id, name, value, skipped_at, updated_at) VALUES (?, ?, NULL, ?, ?)
      ON CONFLICT (account_id, name) DO UPDATE SET skipped_at = excluded.skipped_at, updated_at = excluded.updated_at`);
    this.countStmt = counters.prepare(`INSERT INTO profile_sign_ins (account_id, count) VALUES (?, 1)
      ON CONFLICT (account_id) DO UPDATE SET count = count + 1 RETURNING count`);
  }

  async find(accountId: string): Promise<Profile> {
    const fields: Profile['fields'] = {};
    for (const row of this.fieldsStmt.all(accountId)) {
      const name = text(row, 'name');
      fields[name] = { name, value: textOrNull(row, 'value'), skippedAt: dateOrNull(row, 'skipped_at'), updatedAt: date(row, 'updated_at') };
    }
    const counted = this.signInsStmt.get(accountId);
    return { fields, signIns: counted ? integer(counted, 'count') : 0 };
  }

  async update(accountId: string, changes: { values?: Record<string, string>; skipped?: string[] }, at: Date): Promise<void> {
    const when = at.getTime();
    const names = Object.keys(changes.values ?? {});
    // One transaction, with member.profile_updated (names only: values may be personal data) when values changed.
    immediateTransaction(this.db, () => {
      for (const [name, value] of Object.entries(changes.values ?? {})) this.setValueStmt.run(accountId, name, value, when);
      for (const name of changes.skipped ?? []) this.skipStmt.run(accountId, name, when, when);
      if (names.length > 0) insertEvents(this.db, [profileUpdatedEvent(accountId, names, at)]);
    });
  }

  async recordSignIn(accountId: string): Promise<number> {
    const row = this.countStmt.get(accountId);
    return row ? integer(row, 'count') : 0;
  }

  async delete(accountId: string): Promise<void> {
    this.db.prepare('DELETE FROM profile_fields WHERE account_id = ?').run(accountId);
    this.counters.prepare('DELETE FROM profile_sign_ins WHERE account_id = ?').run(accountId);
  }
}
