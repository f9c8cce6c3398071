// SQLite store for oidc-provider models: opaque JSON payload plus the few promoted, indexed lookup fields.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { OidcPayload, OidcStore } from '../../server/domain/oidc/oidc-store.repository.ts';
import { integerOrNull, jsonObject, text, type Row } from './rows.ts';
import { sweepInSlices } from './sweep-in-slices.ts';

/** Rows that never expire have a NULL expires_at; every read filters the expired ones out. */
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

function promoted(payload: OidcPayload, field: string): string | null {
  const value = payload[field];
  return typeof value === 'string' ? value : null;
}

function toPayload(row: Row): OidcPayload {
  const payload = jsonObject(row, 'payload');
  const consumed = integerOrNull(row, 'consumed');
  return consumed === null ? payload : { ...payload, consumed };
}

/**
 * Writes that must survive an OS crash or power loss, not only a process crash. The connection is
 * synchronous=NORMAL (an fsync per token would stall the event loop), so its last commits before an OS crash
 * can be lost: for an issued token that only means a token nobody holds any more, but a lost refresh-token
 * rotation (the consumed mark) would let the old refresh token be used again, and a lost revocation would bring
 * revoked tokens or grants back. Those commits are fsync'd (synchronous=FULL for that batch): one per refresh
 * or revocation, none per issued token. Signing a member out everywhere is durable too (destroyByAccountId), and so
 * is a single session ended by hand (destroy with `durable`: the account page, a forgotten device, staff); the
 * sessions oidc-provider drops itself are not (it rotates sessions on sign-in, and an fsync there would cost every
 * sign-in). Authorization codes stay NORMAL: they live 60 s, less than an OS restart takes, and redeeming one
 * needs PKCE or the client's credentials as well.
 */
const DURABLE_DESTROYS = new Set(['AccessToken', 'ClientCredentials', 'RefreshToken', 'Grant']);
const DURABLE_CONSUMES = new Set(['RefreshToken']);

/** One queued write: its statement and bound values, and the caller waiting for its commit. */
interface QueuedWrite {
  statement: StatementSync;
  params: SQLInputValue[];
  /** Committed with synchronous=FULL (see DURABLE_DESTROYS). */
  durable: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit. node:sqlite is synchronous, so every commit blocks the event loop, and a commit costs
 * far more than the row it carries (measured: ~55 µs for one row, ~15 µs a row when 8 share a
 * transaction). Writes (upsert, consume, destroy, revokeByGrantId) are therefore queued, and every
 * write queued during one turn of the event loop is committed in one transaction on setImmediate
 * (not a microtask: requests read from other sockets in the same poll phase must get to join).
 *
 * - A caller's promise settles only after COMMIT returned, so a token is in the WAL (durable to the
 *   OS, synchronous=NORMAL) before oidc-provider sends it.
 * - Statements run in call order, so writes to one key keep their order.
 * - The queue is flushed before anything else touches the connection (reads, account and sweep
 *   deletes, close), so every read sees every write issued before it.
 * - A failing statement rejects its own caller only: SQLite undoes just that statement, or, when the
 *   error rolled the whole transaction back (I/O error, full disk), the other writes are replayed in a
 *   new one. A failed BEGIN or COMMIT rejects the writes it carried.
 */
export class SqliteOidcStore implements OidcStore {
  private readonly db: DatabaseSync;
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private readonly beginStmt;
  private readonly commitStmt;
  private readonly upsertStmt;
  private readonly findStmt;
  private readonly byUidStmt;
  private readonly byUserCodeStmt;
  private readonly consumeStmt;
  private readonly destroyStmt;
  private readonly revokeStmt;
  private readonly byAccountStmt;
  private readonly findByAccountStmt;
  private readonly sweepStmt;
  /** The connection's own setting is NORMAL (1): durable batches raise it to FULL (2) for their commit. */
  private readonly raiseForDurable: boolean;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.raiseForDurable = Number(db.prepare('PRAGMA synchronous').get()?.synchronous) < 2;
    // IMMEDIATE: take the write lock up front (waiting on busy_timeout) rather than failing mid-batch.
    this.beginStmt = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.upsertStmt = db.prepare(
      `INSERT OR REPLACE INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    );
    this.findStmt = db.prepare(`SELECT payload, consumed FROM oidc_payloads WHERE model = ? AND id = ? AND ${LIVE}`);
    this.byUidStmt = db.prepare(`SELECT payload, consumed FROM oidc_payloads WHERE model = ? AND uid = ? AND ${LIVE} LIMIT 1`);
    this.byUserCodeStmt = db.prepare(`SELECT payload, consumed FROM oidc_payloads WHERE model = ? AND user_code = ? AND ${LIVE} LIMIT 1`);
    this.consumeStmt = db.prepare('UPDATE oidc_payloads SET consumed = ? WHERE model = ? AND id = ?');
    this.destroyStmt = db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND id = ?');
    this.revokeStmt = db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND grant_id = ?');
    // `id IS NOT NULL` holds for every row (id is the primary key), so a NULL exceptId keeps none.
    this.byAccountStmt = db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND account_id = ? AND id IS NOT ?');
    this.findByAccountStmt = db.prepare(`SELECT id, payload, consumed FROM oidc_payloads WHERE model = ? AND account_id = ? AND ${LIVE}`);
    // A slice at a time through the expires_at index (see sweepExpired).
    this.sweepStmt = db.prepare('DELETE FROM oidc_payloads WHERE rowid IN (SELECT rowid FROM oidc_payloads WHERE expires_at <= ? LIMIT ?)');
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    // Everything that can fail on the caller's input (JSON.stringify) fails here, outside the batch.
    const expiresAt = expiresIn === undefined ? null : Date.now() + expiresIn * 1000;
    return this.enqueue(this.upsertStmt, [
      model,
      id,
      JSON.stringify(payload),
      promoted(payload, 'grantId'),
      promoted(payload, 'userCode'),
      promoted(payload, 'uid'),
      promoted(payload, 'accountId'),
      expiresAt,
    ]);
  }

  async find(model: string, id: string): Promise<OidcPayload | undefined> {
    this.flush();
    const row = this.findStmt.get(model, id, Date.now());
    return row ? toPayload(row) : undefined;
  }

  async findByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    this.flush();
    const row = this.byUidStmt.get(model, uid, Date.now());
    return row ? toPayload(row) : undefined;
  }

  async findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    this.flush();
    const row = this.byUserCodeStmt.get(model, userCode, Date.now());
    return row ? toPayload(row) : undefined;
  }

  async findByAccountId(model: string, accountId: string): Promise<Array<{ id: string; payload: OidcPayload }>> {
    this.flush();
    return this.findByAccountStmt.all(model, accountId, Date.now()).map((row) => ({ id: text(row, 'id'), payload: toPayload(row) }));
  }

  async consume(model: string, id: string): Promise<void> {
    // The time of the call, not of the commit.
    return this.enqueue(this.consumeStmt, [Math.floor(Date.now() / 1000), model, id], DURABLE_CONSUMES.has(model));
  }

  async destroy(model: string, id: string, options: { durable?: boolean } = {}): Promise<void> {
    return this.enqueue(this.destroyStmt, [model, id], options.durable === true || DURABLE_DESTROYS.has(model));
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    return this.enqueue(this.revokeStmt, [model, grantId], true);
  }

  async destroyByAccountId(model: string, accountId: string, exceptId?: string): Promise<number> {
    // Flushed first: queued writes are counted, and a queued write of the kept payload survives.
    this.flush();
    // Signing a member out everywhere (or erasing them) must not be undone by an OS crash: a durable commit.
    return this.durably(true, () => Number(this.byAccountStmt.run(model, accountId, exceptId ?? null).changes));
  }

  /**
   * Deletes what expired by `now` in slices (sweep-in-slices.ts): one DELETE of everything a ten-minute sweep finds
   * (every session, interaction, code and token of ten minutes of load) held the loop as long as it took.
   */
  async sweepExpired(now: Date): Promise<number> {
    return sweepInSlices((limit) => {
      // Queued writes first: a slice then sees (and keeps) what was renewed since the last one.
      this.flush();
      return Number(this.sweepStmt.run(now.getTime(), limit).changes);
    });
  }

  /** Commits every queued write now (synchronously); callers' promises settle with the outcome. */
  flush(): void {
    let batch = this.queue;
    this.queue = [];
    while (batch.length > 0) batch = this.commit(batch);
  }

  private enqueue(statement: StatementSync, params: SQLInputValue[], durable = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ statement, params, durable, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    });
  }

  /**
   * Runs `work` with synchronous=FULL when `durable` (and the connection is NORMAL), then restores NORMAL. Never
   * throws itself: a connection that cannot take the pragma (closed) fails in `work`, which settles the callers;
   * one that could not be set back stays FULL, the safe side.
   */
  private durably<T>(durable: boolean, work: () => T): T {
    if (!durable || !this.raiseForDurable) return work();
    let raised = false;
    try {
      this.db.exec('PRAGMA synchronous = FULL');
      raised = true;
    } catch {
      // Left to `work`.
    }
    try {
      return work();
    } finally {
      if (raised) {
        try {
          this.db.exec('PRAGMA synchronous = NORMAL');
        } catch {
          // Stays FULL.
        }
      }
    }
  }

  /** Runs `batch` in one transaction; returns the writes to replay when one of them rolled it back. */
  private commit(batch: QueuedWrite[]): QueuedWrite[] {
    return this.durably(batch.some((write) => write.durable), () => this.commitBatch(batch));
  }

  private commitBatch(batch: QueuedWrite[]): QueuedWrite[] {
    try {
      this.beginStmt.run();
    } catch (error) {
      for (const write of batch) write.reject(error);
      return [];
    }
    const applied: QueuedWrite[] = [];
    for (const [index, write] of batch.entries()) {
      try {
        write.statement.run(...write.params);
        applied.push(write);
      } catch (error) {
        write.reject(error);
        // Usually SQLite undid this statement only; if it ended the transaction, replay the others.
        if (!this.db.isTransaction) return [...applied, ...batch.slice(index + 1)];
      }
    }
    try {
      this.commitStmt.run();
    } catch (error) {
      for (const write of applied) write.reject(error);
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      return [];
    }
    for (const write of applied) write.resolve();
    return [];
  }
}
