// Port: our SAML IdP signing key and certificate (the private key sealed with the key-encryption key), shared by every instance.
export interface StoredSamlIdpKey {
  id: string;
  certificatePem: string;
  /** PKCS#8 PEM, AES-256-GCM sealed (server/security/crypto.ts). */
  sealedPrivateKey: string;
  createdAt: Date;
}

export interface SamlIdpKeysRepository {
  /** The newest key, if any. */
  current(): Promise<StoredSamlIdpKey | undefined>;
  /** Inserts unless a key with that id exists (instances racing at first use: one wins, all then read it). */
  insertIfAbsent(key: StoredSamlIdpKey): Promise<boolean>;
}
