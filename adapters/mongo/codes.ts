// Mongo one-time codes. Single use and the attempt count rest on inserts with unique _ids (see CodeEventDoc):
// FerretDB 1.24 applies updates as unisolated read-modify-writes, so a conditional update or $inc is not enough there.
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { CodePurpose, CodesRepository, OneTimeCode } from '../../server/domain/codes/codes.repository.ts';
import { isDuplicateKey, parseObject, retryOnDuplicate } from './errors.ts';
import type { CodeDoc, CodeEventDoc } from './models.ts';

function codeId(purpose: CodePurpose, subject: string): string {
  return `${purpose}:${subject}`;
}

function parseData(json: string | null): Record<string, string> | null {
  if (json === null) return null;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseObject(json, 'code data'))) {
    if (typeof value === 'string') data[key] = value;
  }
  return data;
}

export class MongoCodesRepository implements CodesRepository {
  private readonly codes: Model<CodeDoc>;
  private readonly events: Model<CodeEventDoc>;

  constructor(codes: Model<CodeDoc>, events: Model<CodeEventDoc>) {
    this.codes = codes;
    this.events = events;
  }

  async put(code: OneTimeCode): Promise<void> {
    const doc: CodeDoc = {
      _id: codeId(code.purpose, code.subject),
      purpose: code.purpose,
      subject: code.subject,
      nonce: randomUUID(),
      codeHash: code.codeHash,
      attempts: code.attempts,
      expiresAt: code.expiresAt,
      consumedAt: code.consumedAt,
      sentAt: code.sentAt,
      data: code.data === null ? null : JSON.stringify(code.data),
    };
    // A whole-document replace with a fresh nonce: the old code's failures and consumption no longer apply.
    await retryOnDuplicate(() => this.codes.replaceOne({ _id: doc._id }, doc, { upsert: true }));
    await this.events.deleteMany({ codeId: doc._id, nonce: { $ne: doc.nonce } });
  }

  async sweepExpired(before: Date): Promise<number> {
    // TTL indexes are lazy, and absent on some Mongo-compatible servers: the sweeper does it too.
    const { deletedCount } = await this.codes.deleteMany({ expiresAt: { $lt: before } });
    await this.events.deleteMany({ expiresAt: { $lt: before } });
    return deletedCount;
  }

  async find(purpose: CodePurpose, subject: string): Promise<OneTimeCode | undefined> {
    // Expired codes are returned on purpose: the caller tells "expired" apart from "wrong".
    const doc = await this.codes.findById(codeId(purpose, subject)).lean<CodeDoc>().exec();
    if (!doc) return undefined;
    const events = await this.events.find({ nonce: doc.nonce }).lean<CodeEventDoc[]>().exec();
    const failures = events.filter((event) => event.kind === 'failure').length;
    const consumption = events.find((event) => event.kind === 'consume');
    return {
      purpose,
      subject: doc.subject,
      codeHash: doc.codeHash,
      attempts: doc.attempts + failures,
      expiresAt: doc.expiresAt,
      consumedAt: doc.consumedAt ?? consumption?.at ?? null,
      sentAt: doc.sentAt,
      data: parseData(doc.data ?? null),
    };
  }

  async recordFailure(purpose: CodePurpose, subject: string): Promise<number> {
    const _id = codeId(purpose, subject);
    const doc = await this.codes.findById(_id).lean<CodeDoc>().exec();
    if (!doc) return 0;
    // One document per failure: concurrent failures are all counted (an $inc can lose some on FerretDB).
    await this.events.create({ _id: `${doc.nonce}:failure:${randomUUID()}`, codeId: _id, nonce: doc.nonce, kind: 'failure', at: new Date(), expiresAt: doc.expiresAt });
    return doc.attempts + (await this.failures(doc.nonce));
  }

  async consume(purpose: CodePurpose, subject: string, codeHash: string, maxAttempts: number, now: Date): Promise<boolean> {
    const _id = codeId(purpose, subject);
    const doc = await this.codes.findById(_id).lean<CodeDoc>().exec();
    if (!doc || doc.consumedAt !== null || doc.codeHash !== codeHash || doc.expiresAt.getTime() <= now.getTime()) return false;
    if (doc.attempts + (await this.failures(doc.nonce)) >= maxAttempts) return false;
    try {
      // The claim: its _id is unique per issued code, so exactly one concurrent consume inserts it.
      await this.events.create({ _id: `${doc.nonce}:consume`, codeId: _id, nonce: doc.nonce, kind: 'consume', at: now, expiresAt: doc.expiresAt });
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
    // Informational (find() also reads the claim); conditional so it never marks a code issued after ours.
    await this.codes.updateOne({ _id, nonce: doc.nonce, consumedAt: null }, { $set: { consumedAt: now } });
    return true;
  }

  async delete(purpose: CodePurpose, subject: string): Promise<void> {
    const _id = codeId(purpose, subject);
    await this.codes.deleteOne({ _id });
    await this.events.deleteMany({ codeId: _id });
  }

  private failures(nonce: string): Promise<number> {
    return this.events.countDocuments({ nonce, kind: 'failure' }).exec();
  }
}
