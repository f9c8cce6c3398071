// The account entity: who a member is to the identity provider (credentials and verified contact).
export interface Account {
  id: string;
  /** Lower-cased, trimmed; unique across accounts. */
  email: string | null;
  emailVerified: boolean;
  /**
   * A mobile number in E.164 (+447700900123), set only once the member proved it with a code; unique
   * across accounts (it signs in by SMS). Null when the member has none.
   */
  phone: string | null;
  /** PHC string (argon2id, or a legacy scheme for imported members); null for passwordless accounts. */
  passwordHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Sessions and grants that started before this instant are no longer honoured. */
  credentialsChangedAt: Date | null;
  /** When a contact that receives codes (the phone) last changed: redemptions pause for a day after it. */
  contactChangedAt: Date | null;
  /**
   * When the password was last set by the emailed reset code: such a password proves the mailbox, not
   * knowledge (see mailbox-password.ts). Null once the member proves another class, or for a password
   * set otherwise (sign-up, the account page after a strong sign-in).
   */
  passwordFromMailboxAt: Date | null;
}

export type AccountPatch = Partial<Pick<Account, 'emailVerified' | 'passwordHash' | 'credentialsChangedAt' | 'passwordFromMailboxAt'>>;

/**
 * What names the account to its member where a name is needed (authenticator apps, passkeys, the recovery
 * codes file): the email, or for a phone-first member (no email) the number.
 */
export function accountLabel(account: Pick<Account, 'id' | 'email' | 'phone'>): string {
  return account.email ?? account.phone ?? account.id;
}
