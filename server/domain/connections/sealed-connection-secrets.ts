// Connection client secrets sealed at rest (AES-256-GCM, the client-secret key), on either adapter.
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { ConnectionsRepository, StoredConnection } from './connections.repository.ts';

/** The secret fields of any kind's settings, and where each lives sealed in the stored settings in its place. */
const SEALED_FIELDS: Record<string, string> = { client_secret: 'client_secret_sealed', sp_encryption_key: 'sp_encryption_key_sealed' };

/** Bound to its connection (and field): a sealed value copied onto another connection's row, or field, does not open. */
const associatedData = (id: string, field: string) => (field === 'client_secret' ? `connection-secret:${id}` : `connection-secret:${id}:${field}`);

/**
 * A copy of the store (a backup, a read-only database user) must not hand out the secrets we hold at the
 * program's upstream identity providers: sealed on every write, opened on every read, like client secrets
 * (server/domain/clients/sealed-client-secrets.ts).
 */
export class SealedConnectionSecretsRepository implements ConnectionsRepository {
  private readonly inner: ConnectionsRepository;
  private readonly key: Buffer;

  constructor(inner: ConnectionsRepository, key: Buffer) {
    this.inner = inner;
    this.key = key;
  }

  async create(input: { id: string; kind: string; name: string; settings: Record<string, unknown> }): Promise<StoredConnection> {
    return this.open(await this.inner.create({ ...input, settings: this.seal(input.id, input.settings) }));
  }

  async find(id: string): Promise<StoredConnection | undefined> {
    const stored = await this.inner.find(id);
    return stored && this.open(stored);
  }

  async list(options: { limit: number; after?: string }): Promise<StoredConnection[]> {
    return (await this.inner.list(options)).map((connection) => this.open(connection));
  }

  async update(id: string, input: { name: string; settings: Record<string, unknown> }): Promise<StoredConnection | undefined> {
    const stored = await this.inner.update(id, { ...input, settings: this.seal(id, input.settings) });
    return stored && this.open(stored);
  }

  delete(id: string): Promise<boolean> {
    return this.inner.delete(id);
  }

  private seal(id: string, settings: Record<string, unknown>): Record<string, unknown> {
    const sealed: Record<string, unknown> = { ...settings };
    for (const [field, sealedField] of Object.entries(SEALED_FIELDS)) {
      const secret = sealed[field];
      delete sealed[field];
      delete sealed[sealedField];
      if (typeof secret === 'string') sealed[sealedField] = encrypt(this.key, secret, associatedData(id, field));
    }
    return sealed;
  }

  private open(connection: StoredConnection): StoredConnection {
    const settings: Record<string, unknown> = { ...connection.settings };
    for (const [field, sealedField] of Object.entries(SEALED_FIELDS)) {
      const sealed = settings[sealedField];
      delete settings[sealedField];
      if (typeof sealed === 'string') settings[field] = decrypt(this.key, sealed, associatedData(connection.id, field));
    }
    return { ...connection, settings };
  }
}

/** What an adapter stores connections through: sealed when given the key (the server always is). */
export function sealingConnectionSecrets(inner: ConnectionsRepository, key: Buffer | undefined): ConnectionsRepository {
  return key ? new SealedConnectionSecretsRepository(inner, key) : inner;
}
