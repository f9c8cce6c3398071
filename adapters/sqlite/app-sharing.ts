// SQLite side of "Apps and partners": client uses on the NORMAL connection (a write per token), and "Stop
// sharing" as one transaction on the durable one (consent memory, uses, partner link and the outbox event).
import type { DatabaseSync } from 'node:sqlite';
import type { AppSharingRepository, ClientUse, Withdrawal } from '../../server/domain/consent/app-sharing.repository.ts';
import type { StoredConsent } from '../../server/domain/consent/consents.repository.ts';
import type { PartnerMemberLink } from '../../server/domain/partners/partners.repository.ts';
import { toConsent } from './consents.ts';
import { immediateTransaction } from './database.ts';
import { insertEvents } from './events.ts';
import { toLink } from './partners.ts';
import { date, text, type Row } from './rows.ts';

function toUse(row: Row): ClientUse {
  return { accountId: text(row, 'account_id'), clientId: text(row, 'client_id'), firstUsedAt: date(row, 'first_used_at'), lastUsedAt: date(row, 'last_used_at') };
}

export class SqliteAppSharingRepository implements AppSharingRepository {
  private readonly db: DatabaseSync;
  private readonly recordStmt;
  private readonly usesStmt;
  private readonly consentsStmt;
  private readonly linksStmt;

  /** `db`: the synchronous=FULL connection (consents, links, events); `ephemeral`: the NORMAL one, for uses. */
  constructor(db: DatabaseSync, ephemeral: DatabaseSync) {
    this.db = db;
    // A use is not worth an fsync: a power cut losing the last one only shows an older "last used".
    this.recordStmt = ephemeral.prepare(`INSERT INTO member_client_uses (account_id, client_id, first_used_at, last_used_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (account_id, client_id) DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at)`);
    this.usesStmt = ephemeral.prepare('SELECT * FROM member_client_uses WHERE account_id = ?');
    this.consentsStmt = db.prepare('SELECT * FROM member_consents WHERE account_id = ?');
    this.linksStmt = db.prepare('SELECT * FROM partner_member_links WHERE account_id = ?');
  }

  async recordUse(accountId: string, clientId: string, at: Date): Promise<void> {
    this.recordStmt.run(accountId, clientId, at.getTime(), at.getTime());
  }

  async listUses(accountId: string): Promise<ClientUse[]> {
    return this.usesStmt.all(accountId).map(toUse);
  }

  async listConsents(accountId: string): Promise<StoredConsent[]> {
    return this.consentsStmt.all(accountId).map(toConsent);
  }

  async listPartnerLinks(accountId: string): Promise<PartnerMemberLink[]> {
    return this.linksStmt.all(accountId).map(toLink);
  }

  async withdraw(withdrawal: Withdrawal): Promise<void> {
    const { accountId, clientIds, partnerId, events } = withdrawal;
    immediateTransaction(this.db, () => {
      for (const clientId of clientIds) {
        this.db.prepare('DELETE FROM member_consents WHERE account_id = ? AND client_id = ?').run(accountId, clientId);
        this.db.prepare('DELETE FROM member_client_uses WHERE account_id = ? AND client_id = ?').run(accountId, clientId);
      }
      if (partnerId !== null) this.db.prepare('DELETE FROM partner_member_links WHERE account_id = ? AND partner_id = ?').run(accountId, partnerId);
      insertEvents(this.db, events);
    });
  }
}
