// Mongo consents: one document per (account, client), replaced whole on save (an upsert by _id).
import type { Model } from 'mongoose';
import type { ConsentsRepository, StoredConsent } from '../../server/domain/consent/consents.repository.ts';
import { pairId } from './claims.ts';
import type { ConsentDoc } from './consent-models.ts';

export function toConsent(doc: ConsentDoc): StoredConsent {
  return {
    accountId: doc.accountId,
    clientId: doc.clientId,
    scopes: [...doc.scopes],
    claims: [...doc.claims],
    resources: doc.resources.map(({ resource, scopes }) => ({ resource, scopes: [...scopes] })),
    updatedAt: doc.updatedAt,
  };
}

export class MongoConsentsRepository implements ConsentsRepository {
  private readonly consents: Model<ConsentDoc>;

  constructor(consents: Model<ConsentDoc>) {
    this.consents = consents;
  }

  async find(accountId: string, clientId: string): Promise<StoredConsent | undefined> {
    const doc = await this.consents.findById(pairId(accountId, clientId)).lean<ConsentDoc>().exec();
    return doc ? toConsent(doc) : undefined;
  }

  async save(consent: StoredConsent): Promise<void> {
    const { accountId, clientId, scopes, claims, resources, updatedAt } = consent;
    await this.consents.replaceOne({ _id: pairId(accountId, clientId) }, { accountId, clientId, scopes, claims, resources, updatedAt }, { upsert: true }).exec();
  }

  async delete(accountId: string, clientId: string): Promise<boolean> {
    return (await this.consents.deleteOne({ _id: pairId(accountId, clientId) }).exec()).deletedCount > 0;
  }

  async deleteByAccount(accountId: string): Promise<number> {
    return (await this.consents.deleteMany({ accountId }).exec()).deletedCount;
  }
}
