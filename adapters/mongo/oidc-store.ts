// Mongo store for oidc-provider models: payload kept as a JSON string, lookup fields promoted beside it.
import type { Model, QueryFilter } from 'mongoose';
import type { OidcPayload, OidcStore } from '../../server/domain/oidc/oidc-store.repository.ts';
import { parseObject, retryOnDuplicate } from './errors.ts';
import type { OidcDoc } from './models.ts';

function docId(model: string, id: string): string {
  return `${model}:${id}`;
}

function promoted(payload: OidcPayload, field: string): string | null {
  const value = payload[field];
  return typeof value === 'string' ? value : null;
}

/** TTL deletion is lazy (and absent on FerretDB), so every read excludes expired documents itself. */
function live(now: Date): QueryFilter<OidcDoc> {
  return { $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] };
}

function toPayload(doc: OidcDoc): OidcPayload {
  const payload = parseObject(doc.payload, `${doc.model} payload`);
  return doc.consumed === null || doc.consumed === undefined ? payload : { ...payload, consumed: doc.consumed };
}

export class MongoOidcStore implements OidcStore {
  private readonly docs: Model<OidcDoc>;

  constructor(docs: Model<OidcDoc>) {
    this.docs = docs;
  }

  async upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void> {
    const doc: OidcDoc = {
      _id: docId(model, id),
      model,
      id,
      payload: JSON.stringify(payload),
      grantId: promoted(payload, 'grantId'),
      userCode: promoted(payload, 'userCode'),
      uid: promoted(payload, 'uid'),
      accountId: promoted(payload, 'accountId'),
      expiresAt: expiresIn === undefined ? null : new Date(Date.now() + expiresIn * 1000),
      consumed: null,
    };
    await retryOnDuplicate(() => this.docs.replaceOne({ _id: doc._id }, doc, { upsert: true }));
  }

  async find(model: string, id: string): Promise<OidcPayload | undefined> {
    return this.findOne({ _id: docId(model, id), ...live(new Date()) });
  }

  async findByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    return this.findOne({ model, uid, ...live(new Date()) });
  }

  async findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    return this.findOne({ model, userCode, ...live(new Date()) });
  }

  private async findOne(filter: QueryFilter<OidcDoc>): Promise<OidcPayload | undefined> {
    const doc = await this.docs.findOne(filter).lean<OidcDoc>().exec();
    return doc ? toPayload(doc) : undefined;
  }

  async findByAccountId(model: string, accountId: string): Promise<Array<{ id: string; payload: OidcPayload }>> {
    const docs = await this.docs.find({ model, accountId, ...live(new Date()) }).lean<OidcDoc[]>().exec();
    return docs.map((doc) => ({ id: doc.id, payload: toPayload(doc) }));
  }

  async consume(model: string, id: string): Promise<void> {
    await this.docs.updateOne({ _id: docId(model, id) }, { $set: { consumed: Math.floor(Date.now() / 1000) } });
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.docs.deleteOne({ _id: docId(model, id) });
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.docs.deleteMany({ model, grantId });
  }

  async destroyByAccountId(model: string, accountId: string, exceptId?: string): Promise<number> {
    const filter: QueryFilter<OidcDoc> = { model, accountId };
    if (exceptId !== undefined) filter.id = { $ne: exceptId };
    const result = await this.docs.deleteMany(filter);
    return result.deletedCount;
  }

  async sweepExpired(now: Date): Promise<number> {
    // `$lte` on a date never matches null, so payloads without expiry survive.
    const result = await this.docs.deleteMany({ expiresAt: { $lte: now } });
    return result.deletedCount;
  }
}
