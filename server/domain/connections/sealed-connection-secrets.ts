// Connection client secrets sealed at rest (AES-256-GCM, the client-secret key), on either adapter.
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { ConnectionsRepository, StoredConnection } from './connections.repository.ts';

/** Where the sealed secret lives in the stored settings, in place of `client_secret`. */
const SEALED_FIELD = 'client_secret_sealed';

/** Bound to its connection: a sealed value copied onto another connection's row does not open. */
const associatedData = (id: string) => `connection-secret:${id}`;

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
    const { client_secret: secret, [SEALED_FIELD]: _stale, ...rest } = settings;
    if (typeof secret !== 'string') return rest;
    return { ...rest, [SEALED_FIELD]: encrypt(this.key, secret, associatedData(id)) };
  }

  private open(connection: StoredConnection): StoredConnection {
    const { [SEALED_FIELD]: sealed, ...rest } = connection.settings;
    if (typeof sealed !== 'string') return connection;
    return { ...connection, settings: { ...rest, client_secret: decrypt(this.key, sealed, associatedData(connection.id)) } };
  }
}

/** What an adapter stores connections through: sealed when given the key (the server always is). */
export function sealingConnectionSecrets(inner: ConnectionsRepository, key: Buffer | undefined): ConnectionsRepository {
  return key ? new SealedConnectionSecretsRepository(inner, key) : inner;
}
