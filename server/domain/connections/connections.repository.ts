// Port: upstream identity providers ("connections") members sign in through (issue 16).
/**
 * The kinds of upstream: a generic OpenID provider, Google (the same with its issuer preset), Microsoft Entra ID
 * (multi-tenant: the issuer follows the token's tenant), Apple (form_post answer, ES256 client secret), Facebook (OAuth 2.0 + Graph `me`). The others (saml) slot in here with their own settings schema in connection-settings.ts,
 * the stored shape staying the same.
 */
export const CONNECTION_KINDS = ['oidc', 'google', 'microsoft', 'apple', 'facebook', 'saml'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/**
 * One connection as stored. `settings` is the kind's own JSON object (validated by connection-settings.ts on
 * every write and read), so a new kind needs no new columns. The client secret inside it is sealed at rest
 * by sealed-connection-secrets.ts; through the port it is clear.
 */
export interface StoredConnection {
  /** Random id; also the last segment of the connection's callback URL. */
  id: string;
  kind: string;
  /** Shown to members as "Continue with <name>". */
  name: string;
  settings: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConnectionsRepository {
  /** Stores a new connection with the given id (the caller generates it). */
  create(input: { id: string; kind: string; name: string; settings: Record<string, unknown> }): Promise<StoredConnection>;
  find(id: string): Promise<StoredConnection | undefined>;
  /** Oldest first; `after`: the id of the last connection of the previous page. */
  list(options: { limit: number; after?: string }): Promise<StoredConnection[]>;
  /** Replaces name and settings (kind and id stay); undefined when there is no such connection. */
  update(id: string, input: { name: string; settings: Record<string, unknown> }): Promise<StoredConnection | undefined>;
  /** True when a connection was deleted. */
  delete(id: string): Promise<boolean>;
}
