// SQLite store for oidc-provider models: opaque JSON payload plus the few promoted, indexed lookup fields.
import type { DatabaseSync } from 'node:sqlite';
import type { OidcPayload, OidcStore } from '../../server/domain/oidc/oidc-store.repository.ts';
import { integerOrNull, jsonObject, type Row } from './rows.ts';

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

export class SqliteOidcStore implements OidcStore {
  private readonly upsertStmt;
  private readonly findStmt;
  private readonly byUidStmt;
  private readonly byUserCodeStmt;
  private readonly consumeStmt;
  private readonly destroyStmt;
  private readonly revokeStmt;
  private readonly byAccountStmt;
  private readonly sweepStmt;

  constructor(db: DatabaseSync) {
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
    this.byAccountStmt = db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND account_id = ?');
    this.sweepStmt = db.prepare('DELETE FROM oidc_payloads WHERE expires_at <= ?');
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = expiresIn === undefined ? null : Date.now() + expiresIn * 1000;
    this.upsertStmt.run(
      model,
      id,
      JSON.stringify(payload),
      promoted(payload, 'grantId'),
      promoted(payload, 'userCode'),
      promoted(payload, 'uid'),
      promoted(payload, 'accountId'),
      expiresAt,
    );
  }

  async find(model: string, id: string): Promise<OidcPayload | undefined> {
    const row = this.findStmt.get(model, id, Date.now());
    return row ? toPayload(row) : undefined;
  }

  async findByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    const row = this.byUidStmt.get(model, uid, Date.now());
    return row ? toPayload(row) : undefined;
  }

  async findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    const row = this.byUserCodeStmt.get(model, userCode, Date.now());
    return row ? toPayload(row) : undefined;
  }

  async consume(model: string, id: string): Promise<void> {
    this.consumeStmt.run(Math.floor(Date.now() / 1000), model, id);
  }

  async destroy(model: string, id: string): Promise<void> {
    this.destroyStmt.run(model, id);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    this.revokeStmt.run(model, grantId);
  }

  async destroyByAccountId(model: string, accountId: string): Promise<number> {
    return Number(this.byAccountStmt.run(model, accountId).changes);
  }

  async sweepExpired(now: Date): Promise<number> {
    return Number(this.sweepStmt.run(now.getTime()).changes);
  }
}
