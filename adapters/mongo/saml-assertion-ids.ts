// Mongo replay cache of SAML assertion ids: the JSON pair [connection, id] is the _id, so a second insert is a duplicate key (FerretDB too).
import type { Model } from 'mongoose';
import type { SamlAssertionIdsRepository } from '../../server/domain/connections/saml-assertion-ids.repository.ts';
import type { SamlAssertionIdDoc } from './connection-models.ts';
import { isDuplicateKey } from './errors.ts';

const pairId = (connectionId: string, assertionId: string) => JSON.stringify([connectionId, assertionId]);

export class MongoSamlAssertionIdsRepository implements SamlAssertionIdsRepository {
  private readonly ids: Model<SamlAssertionIdDoc>;

  constructor(ids: Model<SamlAssertionIdDoc>) {
    this.ids = ids;
  }

  async remember(connectionId: string, assertionId: string, expiresAt: Date): Promise<'new' | 'replayed'> {
    const _id = pairId(connectionId, assertionId);
    // TTL deletion is lazy: an expired leftover of the same id is removed first (only if still expired).
    await this.ids.deleteOne({ _id, expiresAt: { $lte: new Date() } }).exec();
    try {
      await this.ids.create({ _id, expiresAt });
      return 'new';
    } catch (error) {
      if (isDuplicateKey(error)) return 'replayed';
      throw error;
    }
  }

  async sweepExpired(now: Date): Promise<number> {
    return (await this.ids.deleteMany({ expiresAt: { $lte: now } }).exec()).deletedCount;
  }
}
