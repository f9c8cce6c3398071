// Finds oidc-provider's Client for a stored client without re-hashing its metadata on every request.
import type Provider from 'oidc-provider';
import type { ClientMetadata, ClientsRepository } from '../domain/clients/clients.repository.ts';

type ProviderClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

/**
 * For a client that comes from an adapter, oidc-provider's Client.find serialises the metadata and
 * hashes it (SHA-256) on every call, to pick the Client it built for exactly that metadata: 15 µs of
 * each token request in a profile of bench/token-throughput.mjs. Our clients repository
 * (CachedClientsRepository) hands out one frozen metadata object per client until the client changes or
 * the entry lapses, so the Client built for that object can be found by the object itself.
 *
 * Anything else (no such client, a client oidc-provider holds itself) goes to oidc-provider as before,
 * and so does a lookup whose metadata is new: it builds and validates the Client as always, and that
 * Client is then remembered for this object. Entries go with their metadata object (WeakMap).
 */
export function memoizeClientLookups(provider: Provider, clients: ClientsRepository): void {
  const Client = provider.Client;
  const lookUp = Client.find.bind(Client);
  const built = new WeakMap<ClientMetadata, ProviderClient>();
  Client.find = async function find(id: string) {
    const stored = typeof id === 'string' && id !== '' ? await clients.find(id) : undefined;
    const known = stored && built.get(stored.metadata);
    if (known) return known;
    const client = await lookUp(id);
    if (stored && client) built.set(stored.metadata, client);
    return client;
  };
}
