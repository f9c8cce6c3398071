// Mongo signing-keys repository: _id is the kid, so a duplicate insert is how "already present" shows.
import type { Model } from 'mongoose';
import type { KeysRepository, StoredKey } from '../../server/domain/keys/keys.repository.ts';
import { isDuplicateKey, parseObject } from './errors.ts';
import type { KeyDoc } from './models.ts';

function isAlg(value: string): value is StoredKey['alg'] {
  return value === 'RS256' || value === 'ES256' || value === 'EdDSA';
}

function toKey(doc: KeyDoc): StoredKey {
  if (!isAlg(doc.alg)) throw new TypeError(`signing key ${doc._id}: unknown alg ${doc.alg}`);
  return {
    kid: doc._id,
    alg: doc.alg,
    publicJwk: parseObject(doc.publicJwk, `signing key ${doc._id}`),
    encryptedPrivateJwk: doc.encryptedPrivateJwk,
    createdAt: doc.createdAt,
    activeFrom: doc.activeFrom ?? doc.createdAt,
    retireAt: doc.retireAt ?? null,
  };
}

export class MongoKeysRepository implements KeysRepository {
  private readonly keys: Model<KeyDoc>;

  constructor(keys: Model<KeyDoc>) {
    this.keys = keys;
  }

  async list(): Promise<StoredKey[]> {
    const docs = await this.keys.find({}).sort({ createdAt: 1, _id: 1 }).lean<KeyDoc[]>().exec();
    return docs.map(toKey);
  }

  async insertIfAbsent(key: StoredKey): Promise<boolean> {
    try {
      await this.keys.create({
        _id: key.kid,
        alg: key.alg,
        publicJwk: JSON.stringify(key.publicJwk),
        encryptedPrivateJwk: key.encryptedPrivateJwk,
        createdAt: key.createdAt,
        activeFrom: key.activeFrom,
        retireAt: key.retireAt,
      });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async scheduleRetirement(kids: readonly string[], retireAt: Date): Promise<void> {
    if (kids.length === 0) return;
    // `retireAt: null` also matches documents without the field (keys from before rotation existed).
    await this.keys.updateMany({ _id: { $in: [...kids] }, retireAt: null }, { $set: { retireAt } }).exec();
  }

  async deleteRetired(now: Date): Promise<number> {
    const result = await this.keys.deleteMany({ retireAt: { $ne: null, $lte: now } }).exec();
    return result.deletedCount;
  }
}
