// Mongo side of bulk member imports, without transactions (FerretDB has none): new members are written per batch by
// member-import-bulk.ts, existing ones row by row, and the checkpoint after its batch, so a crash between the two
// replays that batch, which idempotent rows (and the bulk path's pending record) make harmless.
import type { Connection } from 'mongoose';
import { MongoMemberImportBulk } from './member-import-bulk.ts';
import type {
  ImportCheckpoint, ImportCounts, ImportJob, ImportRowErrorRecord, MemberImportData, MemberImportStore, NewImportMember, NewImportResult,
} from '../../server/domain/accounts/member-import-store.ts';

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

interface JobDoc extends Omit<ImportJob, 'id'> {
  _id: string;
}

interface RowErrorDoc extends ImportRowErrorRecord {
  /** `<job id>:<line>`: a replayed batch writes the same documents again. */
  _id: string;
  jobId: string;
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

  private bulkWriter: MongoMemberImportBulk | undefined;

  private get bulk(): MongoMemberImportBulk {
    const db = this.connection.db;
    if (!db) throw new Error('MongoDB storage is not connected');
    this.bulkWriter ??= new MongoMemberImportBulk(db);
    return this.bulkWriter;
  }

  /** At open, beside ensureIndexes (indexes.ts): a job's report is read in line order, running jobs at boot. */
  async ensureIndexes(): Promise<void> {
    await this.collection<RowErrorDoc>('import_row_errors').createIndex({ jobId: 1, line: 1 }, { name: 'jobId_1_line_1' });
    await this.collection<JobDoc>('import_jobs').createIndex({ state: 1 }, { name: 'state_1' });
  }

  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async inRow<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  /**
   * Rows the bulk path sends back (their member exists) that share no email, number or phone with another row of the
   * batch go the row-by-row way this many at a time: each repository call is a round trip, so they wait on latency.
   */
  readonly rowConcurrency = 16;

  /** Members new to the store, a few insertMany calls per batch (member-import-bulk.ts); the others go row by row. */
  async insertNewMembers(members: readonly NewImportMember[], issueNumber: () => string, runKey: string): Promise<NewImportResult[]> {
    return this.bulk.insertNewMembers(members, issueNumber, runKey);
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

  async createJob(job: ImportJob): Promise<void> {
    const { id, ...rest } = job;
    await this.collection<JobDoc>('import_jobs').insertOne({ _id: id, ...rest });
  }

  async findJob(id: string): Promise<ImportJob | undefined> {
    const doc = await this.collection<JobDoc>('import_jobs').findOne({ _id: id });
    if (!doc) return undefined;
    const { _id, ...rest } = doc;
    return { id: _id, ...rest };
  }

  async updateJob(id: string, patch: Pick<ImportJob, 'state' | 'counts' | 'line' | 'error' | 'updatedAt'>): Promise<void> {
    await this.collection<JobDoc>('import_jobs').updateOne({ _id: id }, { $set: patch });
  }

  async listRunningJobs(): Promise<ImportJob[]> {
    const docs = await this.collection<JobDoc>('import_jobs').find({ state: 'running' }).sort({ createdAt: 1 }).toArray();
    return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }

  async addRowErrors(jobId: string, errors: readonly ImportRowErrorRecord[]): Promise<void> {
    if (errors.length === 0) return;
    await this.collection<RowErrorDoc>('import_row_errors').bulkWrite(errors.map((error) => ({
      replaceOne: { filter: { _id: `${jobId}:${error.line}` }, replacement: { jobId, line: error.line, field: error.field, message: error.message }, upsert: true },
    })));
  }

  async listRowErrors(jobId: string, afterLine: number, limit: number): Promise<ImportRowErrorRecord[]> {
    const docs = await this.collection<RowErrorDoc>('import_row_errors').find({ jobId, line: { $gt: afterLine } }).sort({ line: 1 }).limit(limit).toArray();
    return docs.map(({ line, field, message }) => ({ line, field, message }));
  }
}
