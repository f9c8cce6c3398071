// Port: the provider's signing keys, shared by every instance on the same store.
export interface StoredKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  /** Public JWK (with kid, alg, use) as published in the JWKS. */
  publicJwk: Record<string, unknown>;
  /** Private JWK, AES-256-GCM encrypted with the key-encryption key (see server/security/crypto.ts). */
  encryptedPrivateJwk: string;
  createdAt: Date;
}

export interface KeysRepository {
  /** Oldest first. */
  list(): Promise<StoredKey[]>;
  /** Inserts unless a key with that kid exists; returns whether it was inserted. */
  insertIfAbsent(key: StoredKey): Promise<boolean>;
}
