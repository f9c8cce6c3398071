// Port: persistence of accounts. Implemented by adapters/sqlite and adapters/mongo, checked by test/contract.
import type { Account, AccountPatch } from './account.ts';

export interface NewAccount {
  /** Null for a phone-first member (signed up with a mobile number; the number is set with setPhone). */
  email: string | null;
  emailVerified: boolean;
  passwordHash: string | null;
}

export interface AccountsRepository {
  /** Creates the account; throws DomainError('duplicate') when the email is already taken. */
  create(input: NewAccount): Promise<Account>;
  findById(id: string): Promise<Account | undefined>;
  /** `email` must already be normalised (see normaliseEmail). */
  findByEmail(email: string): Promise<Account | undefined>;
  /** `phone` in E.164 (see phone-number.ts). */
  findByPhone(phone: string): Promise<Account | undefined>;
  /**
   * Sets (or with null removes) the account's verified phone, sets contactChangedAt to now and bumps
   * updatedAt (a number set to the one it already has changes nothing but updatedAt); the old number is
   * freed. Throws DomainError('duplicate') when another account holds the number; returns undefined
   * when the account does not exist. Setting the number the account already has succeeds.
   */
  setPhone(id: string, phone: string | null): Promise<Account | undefined>;
  /**
   * Replaces the account's email (already normalised) with a verified one (the member proved it with a code),
   * sets contactChangedAt to now when the address really changes, and bumps updatedAt; the old address is
   * freed. Throws DomainError('duplicate') when another account holds the address; undefined when the
   * account does not exist.
   */
  setEmail(id: string, email: string): Promise<Account | undefined>;
  /** Applies the patch and bumps updatedAt; returns undefined when the account does not exist. */
  update(id: string, patch: AccountPatch): Promise<Account | undefined>;
  /**
   * Sets the password hash only if the stored one is still `expected` (the legacy-hash upgrade at sign-in), and
   * bumps updatedAt; false when it changed meanwhile (a reset or a concurrent upgrade won) or the account is gone.
   */
  replacePasswordHash(id: string, expected: string, replacement: string): Promise<boolean>;
  /** Removes the account and frees its email and phone; returns whether it existed. */
  delete(id: string): Promise<boolean>;
  /**
   * Ids of accounts with neither a verified email nor a verified phone, created before `createdBefore` (at most
   * `limit`): a phone-first member (no email) is verified by its number.
   */
  listUnverified(createdBefore: Date, limit: number): Promise<string[]>;
  /** Deletes the account only if it is still unverified (no verified email, no phone) and older than `createdBefore`. */
  deleteUnverified(id: string, createdBefore: Date): Promise<boolean>;
  count(): Promise<number>;
}
