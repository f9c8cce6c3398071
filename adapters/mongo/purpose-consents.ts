// Mongo purpose consents without multi-document transactions: a change's consent.changed events are inserted
// pending (proof: its receipt), then its records, then its receipt, then the events are confirmed; a crash
// in between leaves events that recovery confirms if the receipt is there and drops if not. Records without
// their receipt (a crash before it) are not the member's answer: reads keep only records whose receipt exists.
import type { Model } from 'mongoose';
import type { DomainEvent } from '../../server/domain/events/domain-event.ts';
import type {
  ConsentChannel, ConsentMethod, ConsentReceipt, PurposeConsentRecord, PurposeConsentsRepository,
} from '../../server/domain/consent/purpose-consents.repository.ts';
import type { PurposeConsentReceiptDoc, PurposeConsentRecordDoc } from './consent-models.ts';
import { confirmEvents, insertPendingEvents } from './events.ts';
import type { EventDoc } from './models.ts';

function toRecord(doc: PurposeConsentRecordDoc): PurposeConsentRecord {
  return {
    id: doc._id, accountId: doc.accountId, purpose: doc.purpose, version: doc.version, granted: doc.granted, at: doc.at,
    channel: doc.channel as ConsentChannel, clientId: doc.clientId ?? null, method: doc.method as ConsentMethod, receiptId: doc.receiptId,
  };
}

function toReceipt(doc: PurposeConsentReceiptDoc): ConsentReceipt {
  return {
    id: doc._id, accountId: doc.accountId, issuedAt: doc.issuedAt, jws: doc.jws ?? null, method: doc.method as ConsentMethod,
    decisions: doc.decisions.map(({ purpose, version, granted }) => ({ purpose, version, granted })),
  };
}

export interface PurposeConsentModels {
  purposeConsentRecords: Model<PurposeConsentRecordDoc>;
  purposeConsentReceipts: Model<PurposeConsentReceiptDoc>;
  events: Model<EventDoc>;
}

export class MongoPurposeConsentsRepository implements PurposeConsentsRepository {
  private readonly models: PurposeConsentModels;

  constructor(models: PurposeConsentModels) {
    this.models = models;
  }

  async record(change: { records: readonly PurposeConsentRecord[]; receipt: ConsentReceipt; events: readonly DomainEvent[] }): Promise<void> {
    const { records, receipt, events } = change;
    const pending = await insertPendingEvents(this.models.events, events, `consent_receipt:${receipt.id}`);
    await this.models.purposeConsentRecords.insertMany(records.map((r, seq) => ({
      _id: r.id, accountId: r.accountId, purpose: r.purpose, version: r.version, granted: r.granted, at: r.at,
      channel: r.channel, clientId: r.clientId, method: r.method, receiptId: r.receiptId, seq,
    })));
    await this.models.purposeConsentReceipts.create({
      _id: receipt.id, accountId: receipt.accountId, issuedAt: receipt.issuedAt, jws: receipt.jws, decisions: receipt.decisions, method: receipt.method,
    });
    await confirmEvents(this.models.events, pending);
  }

  async listRecords(accountId: string): Promise<PurposeConsentRecord[]> {
    const docs = await this.models.purposeConsentRecords.find({ accountId }).sort({ at: 1, seq: 1 }).lean<PurposeConsentRecordDoc[]>().exec();
    const receipts = new Set((await this.models.purposeConsentReceipts.find({ accountId }, { _id: 1 }).lean<Array<{ _id: string }>>().exec()).map((doc) => doc._id));
    return docs.filter((doc) => receipts.has(doc.receiptId)).map(toRecord);
  }

  async listReceipts(accountId: string): Promise<ConsentReceipt[]> {
    const docs = await this.models.purposeConsentReceipts.find({ accountId }).sort({ issuedAt: -1, _id: 1 }).lean<PurposeConsentReceiptDoc[]>().exec();
    return docs.map(toReceipt);
  }

  async findReceipt(accountId: string, id: string): Promise<ConsentReceipt | undefined> {
    const doc = await this.models.purposeConsentReceipts.findOne({ _id: id, accountId }).lean<PurposeConsentReceiptDoc>().exec();
    return doc ? toReceipt(doc) : undefined;
  }
}
