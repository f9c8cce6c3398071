// SQLite hooks repository: one row per hook (unique point) and the post-login claims per (account, client).
import type { DatabaseSync } from 'node:sqlite';
import { DomainError } from '../../server/domain/errors.ts';
import type { Hook, HookChanges, HookClaims, HookPoint, HooksRepository, NewHook } from '../../server/domain/hooks/hooks.repository.ts';
import { isUniqueViolation } from './database.ts';
import { date, integer, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'id, point, url, timeout_ms, failure_policy, enabled, claim_namespace, secret_sealed, created_at, updated_at';

function toHook(row: Row): Hook {
  return {
    id: text(row, 'id'),
    point: text(row, 'point') as HookPoint,
    url: text(row, 'url'),
    timeoutMs: integer(row, 'timeout_ms'),
    failurePolicy: text(row, 'failure_policy') === 'closed' ? 'closed' : 'open',
    enabled: integer(row, 'enabled') === 1,
    claimNamespace: textOrNull(row, 'claim_namespace'),
    secretSealed: text(row, 'secret_sealed'),
    createdAt: date(row, 'created_at'),
    updatedAt: date(row, 'updated_at'),
  };
}

export class SqliteHooksRepository implements HooksRepository {
  private readonly db: DatabaseSync;
  private readonly insertStmt;
  private readonly findStmt;
  private readonly listStmt;
  private readonly enabledStmt;
  private readonly deleteStmt;
  private readonly saveClaimsStmt;
  private readonly deleteClaimsStmt;
  private readonly findClaimsStmt;
  private readonly sweepStmt;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertStmt = db.prepare(`INSERT INTO hooks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`);
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM hooks WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM hooks ORDER BY created_at, id`);
    this.enabledStmt = db.prepare(`SELECT ${COLUMNS} FROM hooks WHERE point = ? AND enabled = 1`);
    this.deleteStmt = db.prepare('DELETE FROM hooks WHERE id = ?');
    this.saveClaimsStmt = db.prepare(`INSERT INTO hook_claims (account_id, client_id, claims, expires_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (account_id, client_id) DO UPDATE SET claims = excluded.claims, expires_at = excluded.expires_at`);
    this.deleteClaimsStmt = db.prepare('DELETE FROM hook_claims WHERE account_id = ? AND client_id = ?');
    this.findClaimsStmt = db.prepare('SELECT claims FROM hook_claims WHERE account_id = ? AND client_id = ? AND expires_at > ?');
    this.sweepStmt = db.prepare('DELETE FROM hook_claims WHERE expires_at <= ?');
  }

  async create(hook: NewHook): Promise<Hook> {
    const now = Date.now();
    try {
      const row = this.insertStmt.get(hook.id, hook.point, hook.url, hook.timeoutMs, hook.failurePolicy, hook.enabled ? 1 : 0, hook.claimNamespace, hook.secretSealed, now, now);
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return toHook(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', `a hook at ${hook.point} exists already`, { cause: error });
      throw error;
    }
  }

  async find(id: string): Promise<Hook | undefined> {
    const row = this.findStmt.get(id);
    return row ? toHook(row) : undefined;
  }

  async list(): Promise<Hook[]> {
    return this.listStmt.all().map(toHook);
  }

  async findEnabled(point: HookPoint): Promise<Hook | undefined> {
    const row = this.enabledStmt.get(point);
    return row ? toHook(row) : undefined;
  }

  async update(id: string, changes: HookChanges): Promise<Hook | undefined> {
    const current = await this.find(id);
    if (!current) return undefined;
    const next = { ...current, ...changes };
    const row = this.db.prepare(`UPDATE hooks SET url = ?, timeout_ms = ?, failure_policy = ?, enabled = ?, claim_namespace = ?, updated_at = ? WHERE id = ? RETURNING ${COLUMNS}`)
      .get(next.url, next.timeoutMs, next.failurePolicy, next.enabled ? 1 : 0, next.claimNamespace, Date.now(), id);
    return row ? toHook(row) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    return Number(this.deleteStmt.run(id).changes) > 0;
  }

  async saveClaims(entry: HookClaims): Promise<void> {
    if (Object.keys(entry.claims).length === 0) this.deleteClaimsStmt.run(entry.accountId, entry.clientId);
    else this.saveClaimsStmt.run(entry.accountId, entry.clientId, JSON.stringify(entry.claims), entry.expiresAt.getTime());
  }

  async findClaims(accountId: string, clientId: string, now: Date): Promise<Record<string, unknown> | undefined> {
    const row = this.findClaimsStmt.get(accountId, clientId, now.getTime());
    return row ? (JSON.parse(text(row, 'claims')) as Record<string, unknown>) : undefined;
  }

  async sweepExpiredClaims(now: Date): Promise<number> {
    return Number(this.sweepStmt.run(now.getTime()).changes);
  }
}
