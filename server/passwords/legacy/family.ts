// The shape every legacy password-hash family implements, so the registry can recognise and verify by string alone.

/** Settings some families need from the deployment (Firebase's project-wide scrypt parameters). */
export interface LegacyHashSettings {
  firebaseScrypt?: FirebaseScryptParameters | undefined;
}

export interface FirebaseScryptParameters {
  /** The project's base64 signer key (Firebase console → Authentication → password hash parameters). */
  signerKey: string;
  /** The project's base64 salt separator. */
  saltSeparator: string;
  rounds: number;
  memCost: number;
}

export interface LegacyHashFamily {
  /** Name shown in logs and import reports. */
  readonly name: string;
  /** Fast unsalted-or-cheap digests: accepted once, then upgraded, and the member told. */
  readonly weak: boolean;
  /** Parses the stored string; true when it is well-formed in this family's format. Does no KDF work. */
  recognises(hash: string): boolean;
  /** Verifies in constant time; false for a wrong password or a hash this family cannot use. */
  verify(hash: string, password: string, settings: LegacyHashSettings): Promise<boolean>;
}
