// Port: storage of oidc-provider's models (sessions, grants, codes, tokens, interactions, ...).
// Payloads are opaque JSON; only the few looked-up fields are promoted beside them.
export type OidcPayload = Record<string, unknown>;

export interface OidcStore {
  /** Inserts or replaces; `expiresIn` in seconds (undefined: never expires). */
  upsert(model: string, id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void>;
  /** Undefined when missing or expired (every read checks expiry; TTL cleanup is lazy). */
  find(model: string, id: string): Promise<OidcPayload | undefined>;
  findByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
  /** Marks the payload consumed: sets `consumed` to the current epoch seconds. */
  consume(model: string, id: string): Promise<void>;
  /**
   * `durable`: the removal must survive an OS crash, not only a process crash (a session the member or staff ended
   * by hand must not come back); stores whose every write is durable may ignore it.
   */
  destroy(model: string, id: string, options?: { durable?: boolean }): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;
  /** The live payloads of `model` whose `accountId` is this account, with their ids (to notify before ending them). */
  findByAccountId(model: string, accountId: string): Promise<Array<{ id: string; payload: OidcPayload }>>;
  /**
   * Removes every payload of `model` whose `accountId` is this account, except the one with id
   * `exceptId` (the member's current session when they end all the others); returns how many.
   */
  destroyByAccountId(model: string, accountId: string, exceptId?: string): Promise<number>;
  /** Deletes expired rows of every model; returns how many. */
  sweepExpired(now: Date): Promise<number>;
}
