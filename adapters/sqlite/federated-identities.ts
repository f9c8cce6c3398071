// SQLite linked upstream identities: the (connection, subject) primary key makes a second link of a pair fail.
import type { DatabaseSync } from 'node:sqlite';
import type { FederatedIdentitiesRepository, FederatedIdentity } from '../../server/domain/connections/federated-identities.repository.ts';
import { date, text, type Row } from './rows.ts';

function toIdentity(row: Row): FederatedIdentity {
  return { connectionId: text(row, 'connection_id'), subject: text(row, 'subject'), accountId: text(row, 'account_id'), linkedAt: date(row, 'linked_at') };
}

export class SqliteFederatedIdentitiesRepository implements FederatedIdentitiesRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly listStmt;
  private readonly deleteStmt;

  constructor(db: DatabaseSync) {
    this.insertStmt = db.prepare('INSERT INTO federated_identities (connection_id, subject, account_id, linked_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.findStmt = db.prepare('SELECT connection_id, subject, account_id, linked_at FROM federated_identities WHERE connection_id = ? AND subject = ?');
    this.listStmt = db.prepare('SELECT connection_id, subject, account_id, linked_at FROM federated_identities WHERE account_id = ? ORDER BY linked_at, connection_id, subject');
    this.deleteStmt = db.prepare('DELETE FROM federated_identities WHERE account_id = ? AND connection_id = ? AND subject = ?');
  }

  async link(input: { connectionId: string; subject: string; accountId: string }): Promise<'linked' | 'taken'> {
    const result = this.insertStmt.run(input.connectionId, input.subject, input.accountId, Date.now());
    return Number(result.changes) > 0 ? 'linked' : 'taken';
  }

  async find(connectionId: string, subject: string): Promise<FederatedIdentity | undefined> {
    const row = this.findStmt.get(connectionId, subject);
    return row ? toIdentity(row) : undefined;
  }

  async listByAccount(accountId: string): Promise<FederatedIdentity[]> {
    return this.listStmt.all(accountId).map(toIdentity);
  }

  async unlink(accountId: string, connectionId: string, subject: string): Promise<boolean> {
    return Number(this.deleteStmt.run(accountId, connectionId, subject).changes) > 0;
  }
}
