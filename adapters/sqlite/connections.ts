// SQLite connections repository: one row per upstream identity provider, its settings as JSON text.
import type { DatabaseSync } from 'node:sqlite';
import type { ConnectionsRepository, StoredConnection } from '../../server/domain/connections/connections.repository.ts';
import { date, jsonObject, text, type Row } from './rows.ts';

const COLUMNS = 'id, kind, name, settings, created_at, updated_at';

function toConnection(row: Row): StoredConnection {
  return {
    id: text(row, 'id'),
    kind: text(row, 'kind'),
    name: text(row, 'name'),
    settings: jsonObject(row, 'settings'),
    createdAt: date(row, 'created_at'),
    updatedAt: date(row, 'updated_at'),
  };
}

export class SqliteConnectionsRepository implements ConnectionsRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly firstPageStmt;
  private readonly nextPageStmt;
  private readonly updateStmt;
  private readonly deleteStmt;

  constructor(db: DatabaseSync) {
    this.insertStmt = db.prepare(`INSERT INTO connections (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`);
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM connections WHERE id = ?`);
    this.firstPageStmt = db.prepare(`SELECT ${COLUMNS} FROM connections ORDER BY created_at, id LIMIT ?`);
    this.nextPageStmt = db.prepare(`SELECT ${COLUMNS} FROM connections
      WHERE (created_at, id) > (SELECT created_at, id FROM connections WHERE id = ?) ORDER BY created_at, id LIMIT ?`);
    this.updateStmt = db.prepare(`UPDATE connections SET name = ?, settings = ?, updated_at = ? WHERE id = ? RETURNING ${COLUMNS}`);
    this.deleteStmt = db.prepare('DELETE FROM connections WHERE id = ?');
  }

  async create(input: { id: string; kind: string; name: string; settings: Record<string, unknown> }): Promise<StoredConnection> {
    const now = Date.now();
    const row = this.insertStmt.get(input.id, input.kind, input.name, JSON.stringify(input.settings), now, now);
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return toConnection(row);
  }

  async find(id: string): Promise<StoredConnection | undefined> {
    const row = this.findStmt.get(id);
    return row ? toConnection(row) : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<StoredConnection[]> {
    const rows = options.after ? this.nextPageStmt.all(options.after, options.limit) : this.firstPageStmt.all(options.limit);
    return rows.map(toConnection);
  }

  async update(id: string, input: { name: string; settings: Record<string, unknown> }): Promise<StoredConnection | undefined> {
    const row = this.updateStmt.get(input.name, JSON.stringify(input.settings), Date.now(), id);
    return row ? toConnection(row) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    return Number(this.deleteStmt.run(id).changes) > 0;
  }
}
