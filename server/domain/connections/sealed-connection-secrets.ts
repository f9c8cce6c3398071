// Connection client secrets sealed at rest (AES-256-GCM, the client-secret key), on either adapter.
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { ConnectionsRepository, StoredConnection } from './connections.repository.ts';

/**
 * The secret fields and where each lives sealed in the stored settings: the client secret, Apple's private
 * key (the client secret is made from it) and a saml connection's key for encrypted assertions. Each is bound to its connection and field: a sealed value copied
 * onto another connection's row, or into the other field, does not open.
 */
const SECRET_FIELDS = [
  { clear: 'client_secret', sealed: 'client_secret_sealed', associatedData: (id: string) => `connection-secret:${id}` },
  { clear: 'private_key', sealed: 'private_key_sealed', associatedData: (id: string) => `connection-private-key:${id}` },
  // A saml connection's own key for encrypted assertions.
  { clear: 'sp_encryption_key', sealed: 'sp_encryption_key_sealed', associatedData: (id: string) => `connection-secret:${id}:sp_encryption_key` },
] as const;

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
    const result = { ...settings };
    for (const field of SECRET_FIELDS) {
      const secret = result[field.clear];
      delete result[field.clear];
      delete result[field.sealed];
      if (typeof secret === 'string') result[field.sealed] = encrypt(this.key, secret, field.associatedData(id));
    }
    return result;
  }

  private open(connection: StoredConnection): StoredConnection {
    const settings = { ...connection.settings };
    for (const field of SECRET_FIELDS) {
      const sealed = settings[field.sealed];
      delete settings[field.sealed];
      if (typeof sealed === 'string') settings[field.clear] = decrypt(this.key, sealed, field.associatedData(connection.id));
    }
    return { ...connection, settings };
  }
}

/** What an adapter stores connections through: sealed when given the key (the server always is). */
export function sealingConnectionSecrets(inner: ConnectionsRepository, key: Buffer | undefined): ConnectionsRepository {
  return key ? new SealedConnectionSecretsRepository(inner, key) : inner;
}
