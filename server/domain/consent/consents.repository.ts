// Port: what a member consented to share with each client, kept past sessions and devices so a partner's
// consent page comes back only for new scopes or after the member withdrew it (issue 15 item 9).

export interface StoredConsent {
  accountId: string;
  clientId: string;
  /** OIDC scopes granted (space-free names). */
  scopes: string[];
  /** OIDC claims granted one by one (the claims parameter). */
  claims: string[];
  /** Scopes granted per resource server (resource indicator → scope names). */
  resources: { resource: string; scopes: string[] }[];
  updatedAt: Date;
}

export interface ConsentsRepository {
  find(accountId: string, clientId: string): Promise<StoredConsent | undefined>;
  /** Replaces the member's consent to this client with `consent` (it already holds the union granted). */
  save(consent: StoredConsent): Promise<void>;
  /** The member withdrew it (revoked the client's access); returns whether there was one. */
  delete(accountId: string, clientId: string): Promise<boolean>;
  /** Account deletion. */
  deleteByAccount(accountId: string): Promise<number>;
}
