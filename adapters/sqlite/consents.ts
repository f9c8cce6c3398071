// SQLite consents: one row per (account, client); the granted lists are JSON text, replaced whole on save.
import type { DatabaseSync } from 'node:sqlite';
import type { ConsentsRepository, StoredConsent } from '../../server/domain/consent/consents.repository.ts';
import { date, text, type Row } from './rows.ts';

const COLUMNS = 'account_id, client_id, scopes, claims, resources, updated_at';

export function toConsent(row: Row): StoredConsent {
  return {
    accountId: text(row, 'account_id'),
    clientId: text(row, 'client_id'),
    scopes: JSON.parse(text(row, 'scopes')) as string[],
    claims: JSON.parse(text(row, 'claims')) as string[],
    resources: JSON.parse(text(row, 'resources')) as StoredConsent['resources'],
    updatedAt: date(row, 'updated_at'),
  };
}

export class SqliteConsentsRepository implements ConsentsRepository {
  private readonly findStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly deleteAllStmt;

  constructor(db: DatabaseSync) {
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM member_consents WHERE account_id = ? AND client_id = ?`);
    this.upsertStmt = db.prepare(`INSERT INTO member_consents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, claims = excluded.claims,
      resources = excluded.resources, updated_at = excluded.updated_at`);
    this.deleteStmt = db.prepare('DELETE FROM member_consents WHERE account_id = ? AND client_id = ?');
    this.deleteAllStmt = db.prepare('DELETE FROM member_consents WHERE account_id = ?');
  }

  async find(accountId: string, clientId: string): Promise<StoredConsent | undefined> {
    const row = this.findStmt.get(accountId, clientId);
    return row ? toConsent(row) : undefined;
  }

  async save(consent: StoredConsent): Promise<void> {
    this.upsertStmt.run(consent.accountId, consent.clientId, JSON.stringify(consent.scopes), JSON.stringify(consent.claims),
      JSON.stringify(consent.resources), consent.updatedAt.getTime());
  }

  async delete(accountId: string, clientId: string): Promise<boolean> {
    return Number(this.deleteStmt.run(accountId, clientId).changes) > 0;
  }

  async deleteByAccount(accountId: string): Promise<number> {
    return Number(this.deleteAllStmt.run(accountId).changes);
  }
}
