// Mongo linked upstream identities: the pair is the _id, so a second link of it is a duplicate key (FerretDB too).
import type { Model } from 'mongoose';
import type { FederatedIdentitiesRepository, FederatedIdentity } from '../../server/domain/connections/federated-identities.repository.ts';
import type { FederatedIdentityDoc } from './connection-models.ts';
import { isDuplicateKey } from './errors.ts';

/** JSON, not a separator: neither part can forge the other's boundary. */
const pairId = (connectionId: string, subject: string) => JSON.stringify([connectionId, subject]);

function toIdentity(doc: FederatedIdentityDoc): FederatedIdentity {
  return { connectionId: doc.connectionId, subject: doc.subject, accountId: doc.accountId, linkedAt: doc.linkedAt };
}

export class MongoFederatedIdentitiesRepository implements FederatedIdentitiesRepository {
  private readonly identities: Model<FederatedIdentityDoc>;

  constructor(identities: Model<FederatedIdentityDoc>) {
    this.identities = identities;
  }

  async link(input: { connectionId: string; subject: string; accountId: string }): Promise<'linked' | 'taken'> {
    try {
      await this.identities.create({ _id: pairId(input.connectionId, input.subject), ...input, linkedAt: new Date() });
      return 'linked';
    } catch (error) {
      if (isDuplicateKey(error)) return 'taken';
      throw error;
    }
  }

  async find(connectionId: string, subject: string): Promise<FederatedIdentity | undefined> {
    const doc = await this.identities.findById(pairId(connectionId, subject)).lean<FederatedIdentityDoc>().exec();
    return doc ? toIdentity(doc) : undefined;
  }

  async listByAccount(accountId: string): Promise<FederatedIdentity[]> {
    const docs = await this.identities.find({ accountId }).sort({ linkedAt: 1, _id: 1 }).lean<FederatedIdentityDoc[]>().exec();
    return docs.map(toIdentity);
  }

  async unlink(accountId: string, connectionId: string, subject: string): Promise<boolean> {
    const result = await this.identities.deleteOne({ _id: pairId(connectionId, subject), accountId }).exec();
    return result.deletedCount > 0;
  }
}
