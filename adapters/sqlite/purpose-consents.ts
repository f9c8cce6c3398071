// SQLite purpose consents: records and receipts on the durable connection; a change (its records, its receipt
// and its consent.changed events) is one transaction.
import type { DatabaseSync } from 'node:sqlite';
import type {
  ConsentChannel, ConsentMethod, ConsentReceipt, PurposeConsentRecord, PurposeConsentsRepository,
} from '../../server/domain/consent/purpose-consents.repository.ts';
import type { DomainEvent } from '../../server/domain/events/domain-event.ts';
import { immediateTransaction } from './database.ts';
import { insertEvents } from './events.ts';
import { date, integer, text, textOrNull, type Row } from './rows.ts';

function toRecord(row: Row): PurposeConsentRecord {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    purpose: text(row, 'purpose'),
    version: integer(row, 'version'),
    granted: integer(row, 'granted') === 1,
    at: date(row, 'at'),
    channel: text(row, 'channel') as ConsentChannel,
    clientId: textOrNull(row, 'client_id'),
    method: text(row, 'method') as ConsentMethod,
    receiptId: text(row, 'receipt_id'),
  };
}

function toReceipt(row: Row): ConsentReceipt {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    issuedAt: date(row, 'issued_at'),
    jws: textOrNull(row, 'jws'),
    decisions: JSON.parse(text(row, 'decisions')) as ConsentReceipt['decisions'],
    method: text(row, 'method') as ConsentMethod,
  };
}

export class SqlitePurposeConsentsRepository implements PurposeConsentsRepository {
  private readonly db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  async record(change: { records: readonly PurposeConsentRecord[]; receipt: ConsentReceipt; events: readonly DomainEvent[] }): Promise<void> {
    const { records, receipt, events } = change;
    const insertRecord = this.db.prepare(`INSERT INTO purpose_consent_records (id, account_id, purpose, version, granted, at, channel, client_id, method, receipt_id, seq)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    immediateTransaction(this.db, () => {
      this.db.prepare('INSERT INTO purpose_consent_receipts (id, account_id, issued_at, jws, decisions, method) VALUES (?, ?, ?, ?, ?, ?)')
        .run(receipt.id, receipt.accountId, receipt.issuedAt.getTime(), receipt.jws, JSON.stringify(receipt.decisions), receipt.method);
      records.forEach((r, seq) => insertRecord.run(r.id, r.accountId, r.purpose, r.version, r.granted ? 1 : 0, r.at.getTime(), r.channel, r.clientId, r.method, r.receiptId, seq));
      insertEvents(this.db, events);
    });
  }

  async listRecords(accountId: string): Promise<PurposeConsentRecord[]> {
    return this.db.prepare('SELECT * FROM purpose_consent_records WHERE account_id = ? ORDER BY at, seq').all(accountId).map(toRecord);
  }

  async listReceipts(accountId: string): Promise<ConsentReceipt[]> {
    return this.db.prepare('SELECT * FROM purpose_consent_receipts WHERE account_id = ? ORDER BY issued_at DESC, id').all(accountId).map(toReceipt);
  }

  async findReceipt(accountId: string, id: string): Promise<ConsentReceipt | undefined> {
    const row = this.db.prepare('SELECT * FROM purpose_consent_receipts WHERE account_id = ? AND id = ?').get(accountId, id);
    return row ? toReceipt(row) : undefined;
  }
}
