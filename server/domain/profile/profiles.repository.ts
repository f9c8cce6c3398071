// Port: the member's progressive profile — one value per declared field (config/profile-fields.ts), when
// an optional field was last skipped, and how many times the member signed in (fields may wait for it).
export interface ProfileField {
  /** The field's name as declared (a claim name such as given_name or address.postal_code). */
  name: string;
  value: string | null;
  /** When the member last chose "Not now" for it (null: never, or answered since). */
  skippedAt: Date | null;
  updatedAt: Date;
}

export interface Profile {
  fields: Record<string, ProfileField>;
  signIns: number;
}

export interface ProfilesRepository {
  /** An empty profile (no fields, 0 sign-ins) for an account without one. */
  find(accountId: string): Promise<Profile>;
  /**
   * Sets each named field's value (clearing its skip), and marks each of `skipped` skipped at `at`.
   * One row per field, so concurrent changes to different fields never undo each other.
   */
  update(accountId: string, changes: { values?: Record<string, string>; skipped?: string[] }, at: Date): Promise<void>;
  /** Counts a sign-in; returns the new count (informational: a concurrent count may be lost on Mongo-compatible servers without atomic updates). */
  recordSignIn(accountId: string): Promise<number>;
  /** Removes the account's profile (account deletion). */
  delete(accountId: string): Promise<void>;
}
