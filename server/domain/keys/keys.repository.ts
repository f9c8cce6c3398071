// Port: the provider's signing keys, shared by every instance on the same store.
export interface StoredKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  /** Public JWK (with kid, alg, use) as published in the JWKS. */
  publicJwk: Record<string, unknown>;
  /** Private JWK, AES-256-GCM encrypted with the key-encryption key (see server/security/crypto.ts). */
  encryptedPrivateJwk: string;
  /** When the key was made; it is published in the JWKS from then on. */
  createdAt: Date;
  /** From when it may sign (the newest key of its algorithm whose time has come signs). */
  activeFrom: Date;
  /** When it leaves the JWKS (set once a successor is scheduled); null while it has none. */
  retireAt: Date | null;
}

export interface KeysRepository {
  /** Oldest first. */
  list(): Promise<StoredKey[]>;
  /** Inserts unless a key with that kid exists; returns whether it was inserted. */
  insertIfAbsent(key: StoredKey): Promise<boolean>;
  /** Sets retireAt on those of `kids` that have none yet (a retirement once scheduled never moves). */
  scheduleRetirement(kids: readonly string[], retireAt: Date): Promise<void>;
  /** Deletes keys retired at or before `now`; returns how many. */
  deleteRetired(now: Date): Promise<number>;
}
