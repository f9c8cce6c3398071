// SQLite clients repository: metadata is stored as JSON text, opaque to the store.
import type { DatabaseSync } from 'node:sqlite';
import type { ClientMetadata, ClientsRepository, StoredClient } from '../../server/domain/clients/clients.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { isUniqueViolation } from './database.ts';
import { date, jsonObject, text, type Row } from './rows.ts';

const COLUMNS = 'client_id, metadata, created_at, updated_at';

function toClient(row: Row): StoredClient {
  const clientId = text(row, 'client_id');
  return {
    clientId,
    metadata: { ...jsonObject(row, 'metadata'), client_id: clientId },
    createdAt: date(row, 'created_at'),
    updatedAt: date(row, 'updated_at'),
  };
}

export class SqliteClientsRepository implements ClientsRepository {
  private readonly insertStmt;
  private readonly replaceStmt;
  private readonly upsertStmt;
  private readonly findStmt;
  private readonly firstPageStmt;
  private readonly nextPageStmt;
  private readonly deleteStmt;

  constructor(db: DatabaseSync) {
    this.insertStmt = db.prepare(`INSERT INTO clients (${COLUMNS}) VALUES (?, ?, ?, ?) RETURNING ${COLUMNS}`);
    this.replaceStmt = db.prepare(`UPDATE clients SET metadata = ?, updated_at = ? WHERE client_id = ? RETURNING ${COLUMNS}`);
    // created_at is kept on conflict: an upsert at boot must not make an old client look new.
    this.upsertStmt = db.prepare(
      `INSERT INTO clients (${COLUMNS}) VALUES (?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET metadata = excluded.metadata, updated_at = excluded.updated_at
       RETURNING ${COLUMNS}`,
    );
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM clients WHERE client_id = ?`);
    this.firstPageStmt = db.prepare(`SELECT ${COLUMNS} FROM clients ORDER BY client_id LIMIT ?`);
    this.nextPageStmt = db.prepare(`SELECT ${COLUMNS} FROM clients WHERE client_id > ? ORDER BY client_id LIMIT ?`);
    this.deleteStmt = db.prepare('DELETE FROM clients WHERE client_id = ?');
  }

  async create(metadata: ClientMetadata): Promise<StoredClient> {
    const now = Date.now();
    try {
      const row = this.insertStmt.get(metadata.client_id, JSON.stringify(metadata), now, now);
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      return toClient(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', `Client ${metadata.client_id} already exists`, { cause: error });
      throw error;
    }
  }

  async replace(metadata: ClientMetadata): Promise<StoredClient | undefined> {
    const row = this.replaceStmt.get(JSON.stringify(metadata), Date.now(), metadata.client_id);
    return row ? toClient(row) : undefined;
  }

  async upsert(metadata: ClientMetadata): Promise<StoredClient> {
    const now = Date.now();
    const row = this.upsertStmt.get(metadata.client_id, JSON.stringify(metadata), now, now);
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return toClient(row);
  }

  async find(clientId: string): Promise<StoredClient | undefined> {
    const row = this.findStmt.get(clientId);
    return row ? toClient(row) : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<StoredClient[]> {
    const rows = options.after === undefined ? this.firstPageStmt.all(options.limit) : this.nextPageStmt.all(options.after, options.limit);
    return rows.map(toClient);
  }

  async delete(clientId: string): Promise<boolean> {
    return Number(this.deleteStmt.run(clientId).changes) > 0;
  }
}
