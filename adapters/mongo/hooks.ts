// Mongo hooks repository: hooks unique per point (a unique index), claims as JSON text keyed by (account, client).
import type { Model } from 'mongoose';
import { DomainError } from '../../server/domain/errors.ts';
import type { Hook, HookChanges, HookClaims, HookPoint, HooksRepository, NewHook } from '../../server/domain/hooks/hooks.repository.ts';
import { isDuplicateKey } from './errors.ts';
import type { HookClaimsDoc, HookDoc } from './hook-models.ts';

const claimsId = (accountId: string, clientId: string) => `${accountId}:${clientId}`;

function toHook(doc: HookDoc): Hook {
  return {
    id: doc._id,
    point: doc.point as HookPoint,
    url: doc.url,
    timeoutMs: doc.timeoutMs,
    failurePolicy: doc.failurePolicy === 'closed' ? 'closed' : 'open',
    enabled: doc.enabled,
    claimNamespace: doc.claimNamespace,
    secretSealed: doc.secretSealed,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export class MongoHooksRepository implements HooksRepository {
  private readonly hooks: Model<HookDoc>;
  private readonly claims: Model<HookClaimsDoc>;

  constructor(models: { hooks: Model<HookDoc>; hookClaims: Model<HookClaimsDoc> }) {
    this.hooks = models.hooks;
    this.claims = models.hookClaims;
  }

  async create(hook: NewHook): Promise<Hook> {
    const now = new Date();
    const doc: HookDoc = { _id: hook.id, point: hook.point, url: hook.url, timeoutMs: hook.timeoutMs, failurePolicy: hook.failurePolicy, enabled: hook.enabled, claimNamespace: hook.claimNamespace, secretSealed: hook.secretSealed, createdAt: now, updatedAt: now };
    try {
      await this.hooks.create(doc);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DomainError('duplicate', `a hook at ${hook.point} exists already`, { cause: error });
      throw error;
    }
    return toHook(doc);
  }

  async find(id: string): Promise<Hook | undefined> {
    const doc = await this.hooks.findById(id).lean<HookDoc>().exec();
    return doc ? toHook(doc) : undefined;
  }

  async list(): Promise<Hook[]> {
    const docs = await this.hooks.find({}).sort({ createdAt: 1, _id: 1 }).lean<HookDoc[]>().exec();
    return docs.map(toHook);
  }

  async findEnabled(point: HookPoint): Promise<Hook | undefined> {
    const doc = await this.hooks.findOne({ point, enabled: true }).lean<HookDoc>().exec();
    return doc ? toHook(doc) : undefined;
  }

  async update(id: string, changes: HookChanges): Promise<Hook | undefined> {
    const set: Partial<HookDoc> = { updatedAt: new Date() };
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.timeoutMs !== undefined) set.timeoutMs = changes.timeoutMs;
    if (changes.failurePolicy !== undefined) set.failurePolicy = changes.failurePolicy;
    if (changes.enabled !== undefined) set.enabled = changes.enabled;
    if (changes.claimNamespace !== undefined) set.claimNamespace = changes.claimNamespace;
    const result = await this.hooks.updateOne({ _id: id }, { $set: set }).exec();
    return result.matchedCount > 0 ? this.find(id) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.hooks.deleteOne({ _id: id }).exec();
    return result.deletedCount > 0;
  }

  async saveClaims(entry: HookClaims): Promise<void> {
    const _id = claimsId(entry.accountId, entry.clientId);
    if (Object.keys(entry.claims).length === 0) {
      await this.claims.deleteOne({ _id }).exec();
      return;
    }
    await this.claims.updateOne({ _id }, { $set: { claims: JSON.stringify(entry.claims), expiresAt: entry.expiresAt } }, { upsert: true }).exec()
      .catch(async (error: unknown) => {
        // Two sign-ins racing on a first insert: the loser updates the winner's document.
        if (!isDuplicateKey(error)) throw error;
        await this.claims.updateOne({ _id }, { $set: { claims: JSON.stringify(entry.claims), expiresAt: entry.expiresAt } }).exec();
      });
  }

  async findClaims(accountId: string, clientId: string, now: Date): Promise<Record<string, unknown> | undefined> {
    const doc = await this.claims.findById(claimsId(accountId, clientId)).lean<HookClaimsDoc>().exec();
    if (!doc || doc.expiresAt.getTime() <= now.getTime()) return undefined;
    return JSON.parse(doc.claims) as Record<string, unknown>;
  }

  async sweepExpiredClaims(now: Date): Promise<number> {
    const result = await this.claims.deleteMany({ expiresAt: { $lte: now } }).exec();
    return result.deletedCount;
  }
}
