// SQLite signing-keys repository: insert-if-absent so instances booting together agree on one key.
import type { DatabaseSync } from 'node:sqlite';
import type { KeysRepository, StoredKey } from '../../server/domain/keys/keys.repository.ts';
import { date, jsonObject, text, type Row } from './rows.ts';

const ALGS: ReadonlySet<string> = new Set<StoredKey['alg']>(['RS256', 'ES256', 'EdDSA']);

function isAlg(value: string): value is StoredKey['alg'] {
  return ALGS.has(value);
}

function toKey(row: Row): StoredKey {
  const alg = text(row, 'alg');
  if (!isAlg(alg)) throw new TypeError(`signing key ${text(row, 'kid')}: unknown alg ${alg}`);
  return {
    kid: text(row, 'kid'),
    alg,
    publicJwk: jsonObject(row, 'public_jwk'),
    encryptedPrivateJwk: text(row, 'encrypted_private_jwk'),
    createdAt: date(row, 'created_at'),
    activeFrom: row.active_from == null ? date(row, 'created_at') : date(row, 'active_from'),
    retireAt: row.retire_at == null ? null : date(row, 'retire_at'),
  };
}

export class SqliteKeysRepository implements KeysRepository {
  private readonly listStmt;
  private readonly insertStmt;
  private readonly retireStmt;
  private readonly deleteRetiredStmt;

  constructor(db: DatabaseSync) {
    this.listStmt = db.prepare('SELECT kid, alg, public_jwk, encrypted_private_jwk, created_at, active_from, retire_at FROM signing_keys ORDER BY created_at, kid');
    this.insertStmt = db.prepare(
      `INSERT INTO signing_keys (kid, alg, public_jwk, encrypted_private_jwk, created_at, active_from, retire_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kid) DO NOTHING`,
    );
    this.retireStmt = db.prepare('UPDATE signing_keys SET retire_at = ? WHERE kid = ? AND retire_at IS NULL');
    this.deleteRetiredStmt = db.prepare('DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= ?');
  }

  async list(): Promise<StoredKey[]> {
    return this.listStmt.all().map(toKey);
  }

  async insertIfAbsent(key: StoredKey): Promise<boolean> {
    const result = this.insertStmt.run(key.kid, key.alg, JSON.stringify(key.publicJwk), key.encryptedPrivateJwk, key.createdAt.getTime(), key.activeFrom.getTime(), key.retireAt?.getTime() ?? null);
    return Number(result.changes) === 1;
  }

  async scheduleRetirement(kids: readonly string[], retireAt: Date): Promise<void> {
    for (const kid of kids) this.retireStmt.run(retireAt.getTime(), kid);
  }

  async deleteRetired(now: Date): Promise<number> {
    return Number(this.deleteRetiredStmt.run(now.getTime()).changes);
  }
}
