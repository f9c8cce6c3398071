// Port: WebAuthn credentials (passkeys). A credential id belongs to one account for ever; the signature
// counter only moves forward.
export interface Passkey {
  /** The credential id, base64url, as the authenticator reports it; unique across all accounts. */
  id: string;
  accountId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  /** Signature counter last seen (0 for authenticators that do not count, such as most synced passkeys). */
  counter: number;
  /** Transports the browser reported (usb, nfc, ble, internal, hybrid, ...), for allowCredentials hints. */
  transports: string[];
  /** multiDevice: a synced passkey; singleDevice: bound to one authenticator. */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  /** The member's name for it; at most 100 characters. */
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface PasskeysRepository {
  /** Stores a new credential; throws DomainError('duplicate') when the id exists (for any account). */
  create(passkey: Passkey): Promise<void>;
  find(id: string): Promise<Passkey | undefined>;
  /** The account's passkeys, oldest first. */
  listByAccount(accountId: string): Promise<Passkey[]>;
  countByAccount(accountId: string): Promise<number>;
  /**
   * Records a successful sign-in: sets lastUsedAt and, when `counter` is greater than the stored one,
   * the counter. Returns false (and changes nothing) when the stored counter is non-zero and `counter`
   * is not greater: a cloned authenticator. Of concurrent calls with the same counter, at most one
   * returns true unless both counters are 0 (authenticators without a counter).
   */
  recordUse(id: string, counter: number, at: Date): Promise<boolean>;
  /** Renames the account's passkey; false when no such passkey of that account. */
  rename(id: string, accountId: string, name: string): Promise<boolean>;
  /** Deletes the account's passkey; false when no such passkey of that account. */
  delete(id: string, accountId: string): Promise<boolean>;
}
