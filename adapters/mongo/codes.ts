// Mongo one-time codes: consume is one conditional update, so concurrent right answers succeed once.
import type { Model } from 'mongoose';
import type { CodePurpose, CodesRepository, OneTimeCode } from '../../server/domain/codes/codes.repository.ts';
import { parseObject } from './errors.ts';
import type { CodeDoc } from './models.ts';

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

function toCode(doc: CodeDoc, purpose: CodePurpose): OneTimeCode {
  return {
    purpose,
    subject: doc.subject,
    codeHash: doc.codeHash,
    attempts: doc.attempts,
    expiresAt: doc.expiresAt,
    consumedAt: doc.consumedAt ?? null,
    sentAt: doc.sentAt,
    data: parseData(doc.data ?? null),
  };
}

export class MongoCodesRepository implements CodesRepository {
  private readonly codes: Model<CodeDoc>;

  constructor(codes: Model<CodeDoc>) {
    this.codes = codes;
  }

  async put(code: OneTimeCode): Promise<void> {
    const doc: CodeDoc = {
      _id: codeId(code.purpose, code.subject),
      purpose: code.purpose,
      subject: code.subject,
      codeHash: code.codeHash,
      attempts: code.attempts,
      expiresAt: code.expiresAt,
      consumedAt: code.consumedAt,
      sentAt: code.sentAt,
      data: code.data === null ? null : JSON.stringify(code.data),
    };
    // A whole-document replace resets attempts and consumption along with the new hash.
    await this.codes.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }

  async find(purpose: CodePurpose, subject: string): Promise<OneTimeCode | undefined> {
    // Expired codes are returned on purpose (the caller reports "expired"); consume() checks expiry itself.
    const doc = await this.codes.findById(codeId(purpose, subject)).lean<CodeDoc>().exec();
    return doc ? toCode(doc, purpose) : undefined;
  }

  async recordFailure(purpose: CodePurpose, subject: string): Promise<number> {
    const _id = codeId(purpose, subject);
    const result = await this.codes.updateOne({ _id }, { $inc: { attempts: 1 } });
    if (result.matchedCount === 0) return 0;
    const doc = await this.codes.findById(_id).lean<CodeDoc>().exec();
    return doc?.attempts ?? 0;
  }

  async consume(purpose: CodePurpose, subject: string, codeHash: string, maxAttempts: number, now: Date): Promise<boolean> {
    const result = await this.codes.updateOne(
      { _id: codeId(purpose, subject), consumedAt: null, codeHash, attempts: { $lt: maxAttempts }, expiresAt: { $gt: now } },
      { $set: { consumedAt: now } },
    );
    return result.modifiedCount === 1;
  }

  async delete(purpose: CodePurpose, subject: string): Promise<void> {
    await this.codes.deleteOne({ _id: codeId(purpose, subject) });
  }
}
