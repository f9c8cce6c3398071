// A short-lived, per-process cache in front of either adapter's clients repository.
import type { ClientMetadata, ClientsRepository, StoredClient } from './clients.repository.ts';

/**
 * oidc-provider looks the client up on every request that names one (each token request does), and
 * neither store answers that cheaply: MongoDB is a network round trip, and on SQLite each commit of
 * tokens on the other connection drops this one's page cache. So a found client is kept this long.
 * Writes through this repository (the admin API, the boot upsert, the oidc-provider adapter) drop the
 * entry at once; a change made by ANOTHER process on the same store (a rotated secret, a deleted
 * client) is seen here within this window. Misses are never cached, so a new client works at once.
 */
const CLIENT_CACHE_TTL_MS = 1000;
/** Only registered clients get cached, but keep the map bounded regardless. */
const CACHE_MAX_ENTRIES = 1000;

/** Freezes `value` and everything it holds (plain JSON data and Dates). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Callers within the window share one deep-frozen StoredClient, so none can alter what another gets,
 * and its `metadata` object stays the same until the entry changes or lapses (oidc-provider's client
 * lookup is memoised on that identity: server/oidc/client-lookup-memo.ts).
 */
export class CachedClientsRepository implements ClientsRepository {
  private readonly inner: ClientsRepository;
  private readonly cache = new Map<string, { client: StoredClient; until: number }>();
  /**
   * Bumped when a write starts and when it ends. A lookup that overlapped a write (on MongoDB it may
   * have read the row before the write landed) is answered but not cached.
   */
  private writes = 0;

  constructor(inner: ClientsRepository) {
    this.inner = inner;
  }

  create(metadata: ClientMetadata): Promise<StoredClient> {
    return this.writing(metadata.client_id, () => this.inner.create(metadata));
  }

  replace(metadata: ClientMetadata): Promise<StoredClient | undefined> {
    return this.writing(metadata.client_id, () => this.inner.replace(metadata));
  }

  upsert(metadata: ClientMetadata): Promise<StoredClient> {
    return this.writing(metadata.client_id, () => this.inner.upsert(metadata));
  }

  delete(clientId: string): Promise<boolean> {
    return this.writing(clientId, () => this.inner.delete(clientId));
  }

  async find(clientId: string): Promise<StoredClient | undefined> {
    const now = Date.now();
    const cached = this.cache.get(clientId);
    if (cached && cached.until > now) return cached.client;
    const writesBefore = this.writes;
    const found = await this.inner.find(clientId);
    if (!found) {
      this.cache.delete(clientId);
      return undefined;
    }
    const client = deepFreeze(found);
    if (this.writes !== writesBefore) return client;
    if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
    this.cache.set(clientId, { client, until: now + CLIENT_CACHE_TTL_MS });
    return client;
  }

  list(options: { limit: number; after?: string }): Promise<StoredClient[]> {
    return this.inner.list(options);
  }

  private async writing<T>(clientId: string, write: () => Promise<T>): Promise<T> {
    this.writes += 1;
    this.cache.delete(clientId);
    try {
      return await write();
    } finally {
      this.writes += 1;
      this.cache.delete(clientId);
    }
  }
}
