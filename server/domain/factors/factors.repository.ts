// Port: second factors of an account (authenticator apps today), their recovery codes, and the
// single-use record that stops a one-time value from being accepted twice.
export type FactorType = 'totp';

export interface Factor {
  /** Chosen by the caller (a random id), unique across all factors. */
  id: string;
  accountId: string;
  type: FactorType;
  /** The shared secret, sealed by the caller (security/crypto encrypt); opaque to the store. */
  secret: string;
  /** The member's name for it ("Authenticator app"); at most 100 characters. */
  label: string;
  createdAt: Date;
  /** Null while enrolment is not finished: an unconfirmed factor never counts as a factor. */
  confirmedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface RecoveryCode {
  accountId: string;
  /** HMAC of the code (the code itself is shown once and never stored). */
  codeHash: string;
  usedAt: Date | null;
}

export interface FactorsRepository {
  /** Stores a new factor; throws DomainError('duplicate') when the id exists. */
  create(factor: Factor): Promise<void>;
  find(id: string): Promise<Factor | undefined>;
  /** The account's factors, oldest first, confirmed or not. */
  listByAccount(accountId: string): Promise<Factor[]>;
  /** Sets confirmedAt when it is still null; returns whether this call confirmed it. */
  confirm(id: string, at: Date): Promise<boolean>;
  /** Records a successful use (informational: lastUsedAt). */
  touch(id: string, at: Date): Promise<void>;
  /** Returns whether it existed. */
  delete(id: string): Promise<boolean>;
  /** Removes the account's factors whose enrolment was never finished; returns how many. */
  deleteUnconfirmed(accountId: string): Promise<number>;

  /** Replaces all of the account's recovery codes by these (all unused). */
  replaceRecoveryCodes(accountId: string, codeHashes: string[]): Promise<void>;
  listRecoveryCodes(accountId: string): Promise<RecoveryCode[]>;
  /**
   * Marks the account's code with this hash used, if it exists and is unused. Returns whether this call
   * used it: of concurrent calls with the same code, exactly one gets true.
   */
  useRecoveryCode(accountId: string, codeHash: string, at: Date): Promise<boolean>;

  /**
   * Records that `value` (e.g. a TOTP time step) was accepted for `factorId`. Returns false when it was
   * recorded before and has not expired: of concurrent calls with the same pair, exactly one gets true.
   * The record may be forgotten after `expiresAt`.
   */
  claimUse(factorId: string, value: string, expiresAt: Date): Promise<boolean>;
  /** Forgets use records that expired before `now`; returns how many. */
  sweepExpiredUses(now: Date): Promise<number>;
}
