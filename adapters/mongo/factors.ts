// Mongo second factors. Single use rests on inserts with unique _ids: FerretDB 1.24 runs an update or delete as a
// read, then a write by _id, so a condition in its filter (usedAt: null, expiresAt <= now) is not atomic there.
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import { DomainError } from '../../server/domain/errors.ts';
import type { Factor, FactorsRepository, RecoveryCode } from '../../server/domain/factors/factors.repository.ts';
import { insertUnique, pairId } from './claims.ts';
import type { FactorDoc, FactorUseDoc, FactorUseTakeoverDoc, Models, RecoveryCodeDoc, RecoveryCodeUseDoc } from './models.ts';

/** How long the winner of a takeover has to replace the expired record; the takeover is swept after that. */
const TAKEOVER_HOLD_MS = 60 * 1000;

function toFactor(doc: FactorDoc): Factor {
  return {
    id: doc._id,
    accountId: doc.accountId,
    type: doc.type,
    secret: doc.secret,
    label: doc.label,
    createdAt: doc.createdAt,
    confirmedAt: doc.confirmedAt ?? null,
    lastUsedAt: doc.lastUsedAt ?? null,
  };
}

export type FactorModels = Pick<Models, 'factors' | 'recoveryCodes' | 'recoveryCodeUses' | 'factorUses' | 'factorUseTakeovers'>;

export class MongoFactorsRepository implements FactorsRepository {
  private readonly factors: Model<FactorDoc>;
  private readonly recoveryCodes: Model<RecoveryCodeDoc>;
  private readonly recoveryCodeUses: Model<RecoveryCodeUseDoc>;
  private readonly uses: Model<FactorUseDoc>;
  private readonly takeovers: Model<FactorUseTakeoverDoc>;

  constructor(models: FactorModels) {
    this.factors = models.factors;
    this.recoveryCodes = models.recoveryCodes;
    this.recoveryCodeUses = models.recoveryCodeUses;
    this.uses = models.factorUses;
    this.takeovers = models.factorUseTakeovers;
  }

  async create(factor: Factor): Promise<void> {
    const doc: FactorDoc = {
      _id: factor.id,
      accountId: factor.accountId,
      type: factor.type,
      secret: factor.secret,
      label: factor.label,
      createdAt: factor.createdAt,
      confirmedAt: factor.confirmedAt,
      lastUsedAt: factor.lastUsedAt,
    };
    if (!(await insertUnique(this.factors, doc))) throw new DomainError('duplicate', `Factor ${factor.id} already exists`);
  }

  async find(id: string): Promise<Factor | undefined> {
    const doc = await this.factors.findById(id).lean<FactorDoc>().exec();
    return doc ? toFactor(doc) : undefined;
  }

  async listByAccount(accountId: string): Promise<Factor[]> {
    const docs = await this.factors.find({ accountId }).sort({ createdAt: 1, _id: 1 }).lean<FactorDoc[]>().exec();
    return docs.map(toFactor);
  }

  async confirm(id: string, at: Date): Promise<boolean> {
    // A conditional update, so on FerretDB two concurrent confirms may both report true (and the later `at`
    // stays). Harmless: the factor ends confirmed either way, and confirming grants nothing a second time.
    const { modifiedCount } = await this.factors.updateOne({ _id: id, confirmedAt: null }, { $set: { confirmedAt: at } });
    return modifiedCount === 1;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.factors.updateOne({ _id: id }, { $set: { lastUsedAt: at } });
  }

  async delete(id: string): Promise<boolean> {
    // The factor's use records are left to expire and be swept: its id is random, so none is ever reused.
    const { deletedCount } = await this.factors.deleteOne({ _id: id });
    return deletedCount > 0;
  }

  async deleteUnconfirmed(accountId: string): Promise<number> {
    // On FerretDB a factor confirmed between this delete's read and its write is deleted all the same; the
    // member then finds it missing and enrols again (nothing is weakened: a missing factor grants nothing).
    const { deletedCount } = await this.factors.deleteMany({ accountId, confirmedAt: null });
    return deletedCount;
  }

  async replaceRecoveryCodes(accountId: string, codeHashes: string[]): Promise<void> {
    // Delete, then insert: FerretDB has no multi-document transactions. A crash in between leaves the
    // account with no recovery codes (the member generates a new set), never with the old ones still valid.
    // Two replaces racing for one account may leave both new sets; both were shown to that member.
    await this.recoveryCodes.deleteMany({ accountId });
    await this.recoveryCodeUses.deleteMany({ accountId });
    const docs = [...new Set(codeHashes)].map((codeHash): RecoveryCodeDoc => ({ _id: pairId(accountId, codeHash), accountId, codeHash, nonce: randomUUID() }));
    if (docs.length > 0) await this.recoveryCodes.insertMany(docs);
  }

  async listRecoveryCodes(accountId: string): Promise<RecoveryCode[]> {
    const [codes, uses] = await Promise.all([
      this.recoveryCodes.find({ accountId }).sort({ codeHash: 1 }).lean<RecoveryCodeDoc[]>().exec(),
      this.recoveryCodeUses.find({ accountId }).lean<RecoveryCodeUseDoc[]>().exec(),
    ]);
    const usedAt = new Map(uses.map((use) => [use._id, use.at]));
    return codes.map((doc) => ({ accountId: doc.accountId, codeHash: doc.codeHash, usedAt: usedAt.get(doc.nonce) ?? null }));
  }

  async useRecoveryCode(accountId: string, codeHash: string, at: Date): Promise<boolean> {
    const doc = await this.recoveryCodes.findById(pairId(accountId, codeHash)).lean<RecoveryCodeDoc>().exec();
    if (!doc) return false;
    // The use document is the only record of it (no usedAt to set afterwards, so no state a crash can split).
    return insertUnique(this.recoveryCodeUses, { _id: doc.nonce, accountId, at });
  }

  async claimUse(factorId: string, value: string, expiresAt: Date): Promise<boolean> {
    const _id = pairId(factorId, value);
    const claim: FactorUseDoc = { _id, factorId, value, nonce: randomUUID(), expiresAt };
    if (await insertUnique(this.uses, claim)) return true;
    const held = await this.uses.findById(_id).lean<FactorUseDoc>().exec();
    if (!held) return insertUnique(this.uses, claim); // swept meanwhile: free again
    if (held.expiresAt.getTime() > Date.now()) return false;
    // Expired, so it must not block. Replacing it conditionally is not atomic on FerretDB (two claimers
    // could both replace it), so one claimer first wins the takeover of this very record by a unique insert.
    // Left open: a sweep that read the record just before the takeover replaced it deletes the replacement
    // (FerretDB deletes by _id). That needs a value claimed again after its record expired, which a caller
    // whose expiresAt outlasts the value's validity never does.
    const takeover: FactorUseTakeoverDoc = { _id: held.nonce, expiresAt: new Date(Date.now() + TAKEOVER_HOLD_MS) };
    if (!(await insertUnique(this.takeovers, takeover))) return false;
    const { matchedCount } = await this.uses.replaceOne({ _id, nonce: held.nonce }, claim);
    return matchedCount === 1 || insertUnique(this.uses, claim);
  }

  async sweepExpiredUses(now: Date): Promise<number> {
    const { deletedCount } = await this.uses.deleteMany({ expiresAt: { $lte: now } });
    await this.takeovers.deleteMany({ expiresAt: { $lte: now } });
    return deletedCount;
  }
}
