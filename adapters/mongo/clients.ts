// Mongo clients repository: _id is the client_id; metadata is a JSON string (its keys are not ours to restrict).
import type { Model } from 'mongoose';
import type { ClientMetadata, ClientsRepository, StoredClient } from '../../server/domain/clients/clients.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { isDuplicateKey, parseObject, retryOnDuplicate } from './errors.ts';
import type { ClientDoc } from './models.ts';

function toClient(doc: ClientDoc): StoredClient {
  return {
    clientId: doc._id,
    metadata: { ...parseObject(doc.metadata, `client ${doc._id} metadata`), client_id: doc._id },
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export class MongoClientsRepository implements ClientsRepository {
  private readonly clients: Model<ClientDoc>;

  constructor(clients: Model<ClientDoc>) {
    this.clients = clients;
  }

  async create(metadata: ClientMetadata): Promise<StoredClient> {
    const now = new Date();
    const doc: ClientDoc = { _id: metadata.client_id, metadata: JSON.stringify(metadata), createdAt: now, updatedAt: now };
    try {
      await this.clients.create(doc);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DomainError('duplicate', `Client ${metadata.client_id} already exists`, { cause: error });
      throw error;
    }
    return toClient(doc);
  }

  async replace(metadata: ClientMetadata): Promise<StoredClient | undefined> {
    const doc = await this.clients
      .findOneAndUpdate({ _id: metadata.client_id }, { $set: { metadata: JSON.stringify(metadata), updatedAt: new Date() } }, { returnDocument: 'after' })
      .lean<ClientDoc>()
      .exec();
    return doc ? toClient(doc) : undefined;
  }

  async upsert(metadata: ClientMetadata): Promise<StoredClient> {
    return retryOnDuplicate(() => this.upsertOnce(metadata));
  }

  private async upsertOnce(metadata: ClientMetadata): Promise<StoredClient> {
    const now = new Date();
    const doc = await this.clients
      .findOneAndUpdate(
        { _id: metadata.client_id },
        { $set: { metadata: JSON.stringify(metadata), updatedAt: now }, $setOnInsert: { createdAt: now } },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<ClientDoc>()
      .exec();
    if (!doc) throw new Error(`upsert of client ${metadata.client_id} returned no document`);
    return toClient(doc);
  }

  async find(clientId: string): Promise<StoredClient | undefined> {
    const doc = await this.clients.findById(clientId).lean<ClientDoc>().exec();
    return doc ? toClient(doc) : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<StoredClient[]> {
    const filter = options.after === undefined ? {} : { _id: { $gt: options.after } };
    const docs = await this.clients.find(filter).sort({ _id: 1 }).limit(options.limit).lean<ClientDoc[]>().exec();
    return docs.map(toClient);
  }

  async delete(clientId: string): Promise<boolean> {
    const result = await this.clients.deleteOne({ _id: clientId });
    return result.deletedCount > 0;
  }
}
