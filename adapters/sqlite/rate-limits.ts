// SQLite rate-limit store: rate-limiter-flexible over node:sqlite, one row per key, each consume one atomic upsert.
import type { DatabaseSync } from 'node:sqlite';
import StoreAbstract from 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import {
  FlexibleRateLimitStore, flexibleOptions, windowRes, type CheckedRule, type StoredWindow,
} from '../../server/security/rate-limit/flexible-store.ts';
import { integer, type Row } from './rows.ts';
import { sweepInSlices } from './sweep-in-slices.ts';

function toWindow(row: Row): StoredWindow {
  return { consumed: integer(row, 'consumed'), endsAt: integer(row, 'ends_at') };
}

/** The statements of one connection, prepared once and shared by every rule's limiter. */
function prepare(db: DatabaseSync) {
  return {
    // One statement: SQLite runs it under the write lock, so concurrent consumes from any process on the
    // file are serialised and each sees the count the previous one left. A window that has ended restarts.
    consume: db.prepare(`
      INSERT INTO rate_limits (key, consumed, ends_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET
        consumed = CASE WHEN ends_at > ? THEN consumed + excluded.consumed ELSE excluded.consumed END,
        ends_at = CASE WHEN ends_at > ? THEN ends_at ELSE excluded.ends_at END
      RETURNING consumed, ends_at`),
    // A block: the count stays, the end moves to the block's end.
    force: db.prepare(`
      INSERT INTO rate_limits (key, consumed, ends_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET consumed = excluded.consumed, ends_at = excluded.ends_at
      RETURNING consumed, ends_at`),
    get: db.prepare('SELECT consumed, ends_at FROM rate_limits WHERE key = ? AND ends_at > ?'),
    delete: db.prepare('DELETE FROM rate_limits WHERE key = ?'),
    // A slice at a time through the ends_at index (sweep-in-slices.ts).
    sweep: db.prepare('DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE ends_at <= ? LIMIT ?)'),
  };
}

type Statements = ReturnType<typeof prepare>;

/** The store hooks RateLimiterStoreAbstract calls (consume, block, get, delete all come down to these). */
class SqliteBackend extends StoreAbstract {
  private readonly statements: Statements;
  private readonly limit: number;

  constructor(db: DatabaseSync, statements: Statements, rule: CheckedRule) {
    super({ ...flexibleOptions(rule), storeClient: db });
    this.statements = statements;
    this.limit = rule.points;
  }

  async _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<StoredWindow> {
    const now = Date.now();
    // Every rule has a duration and a block is never 0 s, so a window always ends.
    if (!(msDuration > 0)) throw new RangeError('rate-limit windows must end');
    const row = forceExpire
      ? this.statements.force.get(rlKey, points, now + msDuration)
      : this.statements.consume.get(rlKey, points, now + msDuration, now, now);
    if (!row) throw new Error('rate-limit upsert returned no row');
    return toWindow(row);
  }

  async _get(rlKey: string): Promise<StoredWindow | null> {
    const row = this.statements.get.get(rlKey, Date.now());
    return row ? toWindow(row) : null;
  }

  async _delete(rlKey: string): Promise<boolean> {
    return Number(this.statements.delete.run(rlKey).changes) > 0;
  }

  _getRateLimiterRes(_rlKey: string, changedPoints: number, window: StoredWindow): RateLimiterRes {
    return windowRes(this.limit, changedPoints, window);
  }
}

/**
 * Counters live on the connection it is given: `openSqliteStorage` gives the synchronous=NORMAL one (see
 * index.ts). Each statement commits on its own (no group commit), so a consume is in the WAL, and seen by
 * every other process on the file, before its promise resolves.
 */
export class SqliteRateLimitStore extends FlexibleRateLimitStore<SqliteBackend> {
  private readonly db: DatabaseSync;
  private readonly statements: Statements;

  constructor(db: DatabaseSync) {
    super();
    this.db = db;
    this.statements = prepare(db);
  }

  async sweepExpired(now: Date): Promise<number> {
    // A credential-stuffing wave leaves a key per address and per email tried: millions of rows to sweep.
    return sweepInSlices((limit) => Number(this.statements.sweep.run(now.getTime(), limit).changes));
  }

  protected backend(rule: CheckedRule): SqliteBackend {
    return new SqliteBackend(this.db, this.statements, rule);
  }
}
