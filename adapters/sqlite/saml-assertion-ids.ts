// SQLite replay cache of SAML assertion ids: the (connection, id) primary key makes a second acceptance fail.
import type { DatabaseSync } from 'node:sqlite';
import type { SamlAssertionIdsRepository } from '../../server/domain/connections/saml-assertion-ids.repository.ts';

export class SqliteSamlAssertionIdsRepository implements SamlAssertionIdsRepository {
  private readonly insertStmt;
  private readonly sweepStmt;

  constructor(db: DatabaseSync) {
    // An expired row of the same id is taken over in the same statement: one atomic insert-or-refuse.
    this.insertStmt = db.prepare(`INSERT INTO saml_assertion_ids (connection_id, assertion_id, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (connection_id, assertion_id) DO UPDATE SET expires_at = excluded.expires_at WHERE saml_assertion_ids.expires_at <= ?`);
    this.sweepStmt = db.prepare('DELETE FROM saml_assertion_ids WHERE expires_at <= ?');
  }

  async remember(connectionId: string, assertionId: string, expiresAt: Date): Promise<'new' | 'replayed'> {
    const result = this.insertStmt.run(connectionId, assertionId, expiresAt.getTime(), Date.now());
    return Number(result.changes) > 0 ? 'new' : 'replayed';
  }

  async sweepExpired(now: Date): Promise<number> {
    return Number(this.sweepStmt.run(now.getTime()).changes);
  }
}
