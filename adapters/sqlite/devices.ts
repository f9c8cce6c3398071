// SQLite known devices: one row per (account, device hash); the insert decides "first seen" atomically.
import type { DatabaseSync } from 'node:sqlite';
import type { DeviceSighting, DevicesRepository, KnownDevice } from '../../server/domain/devices/devices.repository.ts';
import { date, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'account_id, device_hash, first_seen_at, last_seen_at, last_ip, last_country, user_agent';

function toDevice(row: Row): KnownDevice {
  return {
    accountId: text(row, 'account_id'),
    deviceHash: text(row, 'device_hash'),
    firstSeenAt: date(row, 'first_seen_at'),
    lastSeenAt: date(row, 'last_seen_at'),
    lastIp: textOrNull(row, 'last_ip'),
    lastCountry: textOrNull(row, 'last_country'),
    userAgent: textOrNull(row, 'user_agent'),
  };
}

export class SqliteDevicesRepository implements DevicesRepository {
  private readonly insertStmt;
  private readonly refreshStmt;
  private readonly findStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly deleteAllStmt;

  constructor(db: DatabaseSync) {
    this.insertStmt = db.prepare(`INSERT INTO known_devices (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1 AS inserted`);
    // max(): a sighting older than the last one (clock skew between instances) never moves last_seen back.
    this.refreshStmt = db.prepare(`UPDATE known_devices SET last_seen_at = max(last_seen_at, ?), last_ip = ?, last_country = ?, user_agent = ?
      WHERE account_id = ? AND device_hash = ?`);
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM known_devices WHERE account_id = ? AND device_hash = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM known_devices WHERE account_id = ? ORDER BY last_seen_at DESC, device_hash LIMIT ?`);
    this.deleteStmt = db.prepare('DELETE FROM known_devices WHERE account_id = ? AND device_hash = ?');
    this.deleteAllStmt = db.prepare('DELETE FROM known_devices WHERE account_id = ?');
  }

  async record(accountId: string, deviceHash: string, seen: DeviceSighting): Promise<{ known: boolean }> {
    const at = seen.at.getTime();
    const inserted = this.insertStmt.get(accountId, deviceHash, at, at, seen.ip, seen.country, seen.userAgent);
    if (inserted) return { known: false };
    this.refreshStmt.run(at, seen.ip, seen.country, seen.userAgent, accountId, deviceHash);
    return { known: true };
  }

  async find(accountId: string, deviceHash: string): Promise<KnownDevice | undefined> {
    const row = this.findStmt.get(accountId, deviceHash);
    return row ? toDevice(row) : undefined;
  }

  async listByAccount(accountId: string, limit: number): Promise<KnownDevice[]> {
    return this.listStmt.all(accountId, limit).map(toDevice);
  }

  async delete(accountId: string, deviceHash: string): Promise<boolean> {
    return Number(this.deleteStmt.run(accountId, deviceHash).changes) > 0;
  }

  async deleteByAccount(accountId: string): Promise<number> {
    return Number(this.deleteAllStmt.run(accountId).changes);
  }
}
