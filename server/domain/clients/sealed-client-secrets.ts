// Client secrets sealed at rest (AES-256-GCM under a key derived from KEY_ENCRYPTION_KEY) on either adapter.
import { decrypt, encrypt } from '../../security/crypto.ts';
import type { ClientMetadata, ClientsRepository, StoredClient } from './clients.repository.ts';

/**
 * Where the sealed secret is stored, in place of `client_secret`. A field of its own (not a prefix on the
 * secret) keeps the two forms apart whatever a secret from the environment looks like.
 */
const SEALED_FIELD = 'client_secret_sealed';

/** The secret is bound to its client: a sealed value copied onto another client's row does not open. */
const associatedData = (clientId: string) => `client-secret:${clientId}`;

/**
 * A copy of the store (a backup, a stolen file, a read-only database user) must not hand out working client
 * credentials. oidc-provider needs the clear secret to compare client_secret_basic/post and for HS256, so it
 * is sealed on every write and opened on every read here, below the lookup cache. Rows written before
 * sealing hold the secret in clear: they are read as they are and sealed by `sealLegacySecrets` at boot (or
 * at their next write).
 */
export class SealedClientSecretsRepository implements ClientsRepository {
  private readonly inner: ClientsRepository;
  private readonly key: Buffer;

  constructor(inner: ClientsRepository, key: Buffer) {
    this.inner = inner;
    this.key = key;
  }

  async create(metadata: ClientMetadata): Promise<StoredClient> {
    return this.open(await this.inner.create(this.seal(metadata)));
  }

  async replace(metadata: ClientMetadata): Promise<StoredClient | undefined> {
    const stored = await this.inner.replace(this.seal(metadata));
    return stored && this.open(stored);
  }

  async upsert(metadata: ClientMetadata): Promise<StoredClient> {
    return this.open(await this.inner.upsert(this.seal(metadata)));
  }

  async find(clientId: string): Promise<StoredClient | undefined> {
    const stored = await this.inner.find(clientId);
    return stored && this.open(stored);
  }

  async list(options: { limit: number; after?: string }): Promise<StoredClient[]> {
    return (await this.inner.list(options)).map((client) => this.open(client));
  }

  delete(clientId: string): Promise<boolean> {
    return this.inner.delete(clientId);
  }

  /**
   * The upgrade path: seals every secret still stored in clear. Idempotent, and cheap when there is none
   * (clients are few). A rotation by another process racing this pass for the same client could be undone,
   * so it runs at boot, before the admin API serves.
   */
  async sealLegacySecrets(): Promise<number> {
    let sealed = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.inner.list(after === undefined ? { limit: 100 } : { limit: 100, after });
      for (const client of page) {
        if (typeof client.metadata.client_secret !== 'string') continue;
        await this.inner.replace(this.seal(client.metadata));
        sealed += 1;
      }
      if (page.length < 100) return sealed;
      after = page.at(-1)!.clientId;
    }
  }

  private seal(metadata: ClientMetadata): ClientMetadata {
    const { client_secret: secret, [SEALED_FIELD]: _stale, ...rest } = metadata;
    if (typeof secret !== 'string') return rest as ClientMetadata;
    return { ...rest, client_id: metadata.client_id, [SEALED_FIELD]: encrypt(this.key, secret, associatedData(metadata.client_id)) };
  }

  private open(client: StoredClient): StoredClient {
    const { [SEALED_FIELD]: sealed, ...rest } = client.metadata;
    if (typeof sealed !== 'string') return client;
    const metadata = { ...rest, client_id: client.metadata.client_id, client_secret: decrypt(this.key, sealed, associatedData(client.metadata.client_id)) };
    return { ...client, metadata };
  }
}

/**
 * What an adapter stores clients through: sealed when it is given the key (the server always is; see
 * server/container.ts), with the clear secrets of an older store sealed now. Without a key (tools and unit
 * tests opening a store directly) secrets are stored as given.
 */
export async function sealingClientSecrets(inner: ClientsRepository, key: Buffer | undefined): Promise<ClientsRepository> {
  if (!key) return inner;
  const sealed = new SealedClientSecretsRepository(inner, key);
  await sealed.sealLegacySecrets();
  return sealed;
}
