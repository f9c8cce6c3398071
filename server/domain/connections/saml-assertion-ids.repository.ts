// Port: the replay cache of SAML assertion ids we accepted, each kept until its NotOnOrAfter (issue 16).
export interface SamlAssertionIdsRepository {
  /**
   * Remembers the assertion id of this connection until `expiresAt`; `replayed` when it is already remembered
   * (and not yet expired): a captured assertion posted again, by anyone, signs nobody in.
   */
  remember(connectionId: string, assertionId: string, expiresAt: Date): Promise<'new' | 'replayed'>;
  /** Deletes the expired ids; returns how many. */
  sweepExpired(now: Date): Promise<number>;
}
