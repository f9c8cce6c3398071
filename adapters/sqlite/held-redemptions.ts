// SQLite redemptions held for review: the hold entry and its record, a decision and its ledger entry or event,
// each in one BEGIN IMMEDIATE transaction, so a crash leaves all of it or none and one of racing decisions wins.
import type { DatabaseSync } from 'node:sqlite';
import { releasedHoldEvent } from '../../server/domain/events/domain-event.ts';
import {
  type DecisionResult,
  type HeldRedemption,
  type HeldRedemptionsRepository,
  type HoldResult,
  type HoldStatus,
  holdId,
  holdReturnKey,
  MAX_HOLDS_PER_PAGE,
  type NewHold,
} from '../../server/domain/loyalty/held-redemptions.repository.ts';
import { immediateTransaction } from './database.ts';
import { insertEvents } from './events.ts';
import type { SqliteLoyaltyRepository } from './loyalty.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'id, account_id, points, partner_id, reason, idempotency_key, entry_id, score, signals, status, created_at, decided_at, decided_by';
const STATUSES: ReadonlySet<string> = new Set<HoldStatus>(['held', 'released', 'rejected']);

function toHold(row: Row): HeldRedemption {
  const status = text(row, 'status');
  if (!STATUSES.has(status)) throw new TypeError(`held redemption ${text(row, 'id')}: unknown status ${status}`);
  const signals: unknown = JSON.parse(text(row, 'signals'));
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    points: integer(row, 'points'),
    partnerId: textOrNull(row, 'partner_id'),
    reason: text(row, 'reason'),
    idempotencyKey: text(row, 'idempotency_key'),
    entryId: text(row, 'entry_id'),
    score: integer(row, 'score'),
    signals: Array.isArray(signals) ? signals.map(String) : [],
    status: status as HoldStatus,
    createdAt: date(row, 'created_at'),
    decidedAt: dateOrNull(row, 'decided_at'),
    decidedBy: textOrNull(row, 'decided_by'),
  };
}

export class SqliteHeldRedemptionsRepository implements HeldRedemptionsRepository {
  private readonly db: DatabaseSync;
  private readonly ledger: SqliteLoyaltyRepository;

  /** `ledger` must be on the same (synchronous=FULL) connection: its posts join this repository's transactions. */
  constructor(db: DatabaseSync, ledger: SqliteLoyaltyRepository) {
    this.db = db;
    this.ledger = ledger;
  }

  async hold(input: NewHold): Promise<HoldResult> {
    const id = holdId(input.idempotencyKey);
    return immediateTransaction(this.db, (): HoldResult => {
      const previous = this.ledger.entryByKeyNow(input.idempotencyKey);
      if (previous) {
        if (previous.requestHash !== input.requestHash) return { ok: false, reason: 'idempotency_conflict' };
        return { ok: true, entry: previous, hold: this.findNow(id), replayed: true };
      }
      const posted = this.ledger.postNow({
        accountId: input.accountId, kind: 'hold', points: -input.points, partnerId: input.partnerId, reason: input.reason,
        idempotencyKey: input.idempotencyKey, requestHash: input.requestHash,
      });
      if (!posted.ok) return posted;
      const row = this.db.prepare(`INSERT INTO held_redemptions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, NULL, NULL) RETURNING ${COLUMNS}`).get(
        id, input.accountId, input.points, input.partnerId, input.reason, input.idempotencyKey, posted.entry.id, input.score,
        JSON.stringify(input.signals), posted.entry.createdAt.getTime(),
      );
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return { ok: true, entry: posted.entry, hold: toHold(row), replayed: false };
    });
  }

  async find(id: string): Promise<HeldRedemption | undefined> {
    return this.findNow(id);
  }

  private findNow(id: string): HeldRedemption | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM held_redemptions WHERE id = ?`).get(id);
    return row ? toHold(row) : undefined;
  }

  async list(status: HoldStatus, options: { limit: number; after?: string }): Promise<HeldRedemption[]> {
    const limit = Math.min(Math.max(1, Math.trunc(options.limit)), MAX_HOLDS_PER_PAGE);
    const after = options.after === undefined ? undefined : this.findNow(options.after);
    const rows = after
      ? this.db.prepare(`SELECT ${COLUMNS} FROM held_redemptions WHERE status = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`)
        .all(status, after.createdAt.getTime(), after.id, limit)
      : this.db.prepare(`SELECT ${COLUMNS} FROM held_redemptions WHERE status = ? ORDER BY created_at, id LIMIT ?`).all(status, limit);
    return rows.map(toHold);
  }

  async listByAccount(accountId: string, limit: number): Promise<HeldRedemption[]> {
    const bounded = Math.min(Math.max(1, Math.trunc(limit)), MAX_HOLDS_PER_PAGE);
    return this.db.prepare(`SELECT ${COLUMNS} FROM held_redemptions WHERE account_id = ? ORDER BY created_at DESC LIMIT ?`).all(accountId, bounded).map(toHold);
  }

  async release(id: string, decidedBy: string): Promise<DecisionResult> {
    return this.decide(id, decidedBy, 'released', (hold) => {
      const entry = this.ledger.entryByKeyNow(hold.idempotencyKey);
      if (!entry) throw new Error(`held redemption ${hold.id} has no hold entry`);
      // The points left with the hold entry; the release is when the redemption happened for partners.
      insertEvents(this.db, [releasedHoldEvent(entry)]);
    });
  }

  async reject(id: string, decidedBy: string): Promise<DecisionResult> {
    return this.decide(id, decidedBy, 'rejected', (hold) => {
      const key = holdReturnKey(hold.id);
      const posted = this.ledger.postNow({
        accountId: hold.accountId, kind: 'hold_return', points: hold.points, partnerId: hold.partnerId,
        reason: 'held redemption rejected', idempotencyKey: key, requestHash: key,
      });
      if (!posted.ok) throw new Error(`held redemption ${hold.id}: its points could not be given back (${posted.reason})`);
    });
  }

  /** The status moves from held once, in the transaction that writes what the decision changes. */
  private decide(id: string, decidedBy: string, status: 'released' | 'rejected', effect: (hold: HeldRedemption) => void): DecisionResult {
    return immediateTransaction(this.db, (): DecisionResult => {
      const current = this.findNow(id);
      if (!current) return { ok: false, reason: 'not_found' };
      if (current.status !== 'held') return { ok: false, reason: 'decided', hold: current };
      effect(current);
      const row = this.db.prepare(`UPDATE held_redemptions SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'held' RETURNING ${COLUMNS}`)
        .get(status, Date.now(), decidedBy, id);
      if (!row) throw new Error(`held redemption ${id} moved during its decision`);
      return { ok: true, hold: toHold(row) };
    });
  }

  async recoverPending(): Promise<number> {
    // Every step is one SQLite transaction: a crash rolls it back whole.
    return 0;
  }
}
