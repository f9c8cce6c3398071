// Port: registered OIDC clients (metadata as oidc-provider understands it, plus our extra fields).
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface StoredClient {
  clientId: string;
  metadata: ClientMetadata;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClientsRepository {
  /** Inserts; throws DomainError('duplicate') when the client_id exists. */
  create(metadata: ClientMetadata): Promise<StoredClient>;
  /** Replaces the metadata of an existing client; undefined when it does not exist. */
  replace(metadata: ClientMetadata): Promise<StoredClient | undefined>;
  /** Inserts or replaces (used by the bootstrap admin client at boot). */
  upsert(metadata: ClientMetadata): Promise<StoredClient>;
  find(clientId: string): Promise<StoredClient | undefined>;
  /** Ordered by clientId; `after` is the last clientId of the previous page. */
  list(options: { limit: number; after?: string }): Promise<StoredClient[]>;
  delete(clientId: string): Promise<boolean>;
}
