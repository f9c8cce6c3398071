// Mongo store of our SAML IdP signing key (sealed) and its certificate; the id is the _id, so a second insert of it is a duplicate key.
import type { Model } from 'mongoose';
import type { SamlIdpKeysRepository, StoredSamlIdpKey } from '../../server/domain/saml-idp/saml-idp-keys.repository.ts';
import type { SamlIdpKeyDoc } from './connection-models.ts';
import { isDuplicateKey } from './errors.ts';

export class MongoSamlIdpKeysRepository implements SamlIdpKeysRepository {
  private readonly keys: Model<SamlIdpKeyDoc>;

  constructor(keys: Model<SamlIdpKeyDoc>) {
    this.keys = keys;
  }

  async current(): Promise<StoredSamlIdpKey | undefined> {
    const doc = await this.keys.findOne({}).sort({ createdAt: -1, _id: -1 }).lean<SamlIdpKeyDoc>().exec();
    return doc ? { id: doc._id, certificatePem: doc.certificatePem, sealedPrivateKey: doc.sealedPrivateKey, createdAt: doc.createdAt } : undefined;
  }

  async insertIfAbsent(key: StoredSamlIdpKey): Promise<boolean> {
    try {
      await this.keys.create({ _id: key.id, certificatePem: key.certificatePem, sealedPrivateKey: key.sealedPrivateKey, createdAt: key.createdAt });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
}
