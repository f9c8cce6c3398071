// Mongo connections repository: one document per upstream identity provider, its settings as JSON text.
import type { Model } from 'mongoose';
import type { ConnectionsRepository, StoredConnection } from '../../server/domain/connections/connections.repository.ts';
import type { ConnectionDoc } from './connection-models.ts';

function toConnection(doc: ConnectionDoc): StoredConnection {
  return { id: doc._id, kind: doc.kind, name: doc.name, settings: JSON.parse(doc.settings) as Record<string, unknown>, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

export class MongoConnectionsRepository implements ConnectionsRepository {
  private readonly connections: Model<ConnectionDoc>;

  constructor(connections: Model<ConnectionDoc>) {
    this.connections = connections;
  }

  async create(input: { id: string; kind: string; name: string; settings: Record<string, unknown> }): Promise<StoredConnection> {
    const now = new Date();
    const doc: ConnectionDoc = { _id: input.id, kind: input.kind, name: input.name, settings: JSON.stringify(input.settings), createdAt: now, updatedAt: now };
    await this.connections.create(doc);
    return toConnection(doc);
  }

  async find(id: string): Promise<StoredConnection | undefined> {
    const doc = await this.connections.findById(id).lean<ConnectionDoc>().exec();
    return doc ? toConnection(doc) : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<StoredConnection[]> {
    let filter = {};
    if (options.after) {
      const cursor = await this.connections.findById(options.after).lean<ConnectionDoc>().exec();
      if (!cursor) return [];
      filter = { $or: [{ createdAt: { $gt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $gt: cursor._id } }] };
    }
    const docs = await this.connections.find(filter).sort({ createdAt: 1, _id: 1 }).limit(options.limit).lean<ConnectionDoc[]>().exec();
    return docs.map(toConnection);
  }

  async update(id: string, input: { name: string; settings: Record<string, unknown> }): Promise<StoredConnection | undefined> {
    const result = await this.connections.updateOne({ _id: id }, { $set: { name: input.name, settings: JSON.stringify(input.settings), updatedAt: new Date() } }).exec();
    if (result.matchedCount === 0) return undefined;
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.connections.deleteOne({ _id: id }).exec();
    return result.deletedCount > 0;
  }
}
