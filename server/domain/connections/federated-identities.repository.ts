// Port: upstream identities linked to members, keyed by (connection, upstream subject) only (issue 16, design §7).
export interface FederatedIdentity {
  connectionId: string;
  /** The upstream's `sub` (or Graph id): the only thing a link is found by, never an email. */
  subject: string;
  accountId: string;
  linkedAt: Date;
}

export interface FederatedIdentitiesRepository {
  /**
   * Links the pair to the account. `taken` when the pair is already linked (to this account or another):
   * one upstream identity opens one member, whoever races to link it.
   */
  link(input: { connectionId: string; subject: string; accountId: string }): Promise<'linked' | 'taken'>;
  find(connectionId: string, subject: string): Promise<FederatedIdentity | undefined>;
  /** The account's links, oldest first. */
  listByAccount(accountId: string): Promise<FederatedIdentity[]>;
  /** Removes the pair if it is linked to this account; true when a link was removed. */
  unlink(accountId: string, connectionId: string, subject: string): Promise<boolean>;
}
