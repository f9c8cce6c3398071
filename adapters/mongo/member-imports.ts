// Mongo side of bulk member imports, without transactions (FerretDB has none): rows are written one by one and the
// checkpoint after its batch, so a crash between the two replays that batch, which idempotent rows make harmless.
import type { Connection } from 'mongoose';
import type { ImportCheckpoint, ImportCounts, MemberImportData, MemberImportStore } from '../../server/domain/accounts/member-import-store.ts';

interface CheckpointDoc {
  _id: string;
  line: number;
  batches: number;
  counts: ImportCounts;
  updatedAt: Date;
}

interface MemberDataDoc {
  _id: string;
  /** Serialised: consent purposes come from the file and must never become field names. */
  data: string;
  updatedAt: Date;
}

export class MongoMemberImportStore implements MemberImportStore {
  private readonly connection: Connection;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  private collection<T extends { _id: string }>(name: string) {
    const db = this.connection.db;
    if (!db) throw new Error('MongoDB storage is not connected');
    return db.collection<T>(name);
  }

  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async inRow<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async findCheckpoint(key: string): Promise<ImportCheckpoint | undefined> {
    const doc = await this.collection<CheckpointDoc>('import_checkpoints').findOne({ _id: key });
    if (!doc) return undefined;
    return { key: doc._id, line: doc.line, batches: doc.batches, counts: doc.counts, updatedAt: doc.updatedAt };
  }

  async saveCheckpoint(checkpoint: ImportCheckpoint): Promise<void> {
    const { key, line, batches, counts, updatedAt } = checkpoint;
    await this.collection<CheckpointDoc>('import_checkpoints').replaceOne({ _id: key }, { line, batches, counts, updatedAt }, { upsert: true });
  }

  async deleteCheckpoint(key: string): Promise<void> {
    await this.collection<CheckpointDoc>('import_checkpoints').deleteOne({ _id: key });
  }

  async findMemberData(accountId: string): Promise<MemberImportData | undefined> {
    const doc = await this.collection<MemberDataDoc>('member_import_data').findOne({ _id: accountId });
    return doc ? (JSON.parse(doc.data) as MemberImportData) : undefined;
  }

  async saveMemberData(accountId: string, data: MemberImportData): Promise<boolean> {
    const serialised = JSON.stringify(data);
    const collection = this.collection<MemberDataDoc>('member_import_data');
    const existing = await collection.findOne({ _id: accountId });
    if (existing?.data === serialised) return false;
    await collection.replaceOne({ _id: accountId }, { data: serialised, updatedAt: new Date() }, { upsert: true });
    return true;
  }
}
