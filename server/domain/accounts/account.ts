// The account entity: who a member is to the identity provider (credentials and verified contact).
export interface Account {
  id: string;
  /** Lower-cased, trimmed; unique across accounts. */
  email: string;
  emailVerified: boolean;
  /** PHC string (argon2id, or a legacy scheme for imported members); null for passwordless accounts. */
  passwordHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Sessions and grants that started before this instant are no longer honoured. */
  credentialsChangedAt: Date | null;
}

export type AccountPatch = Partial<Pick<Account, 'emailVerified' | 'passwordHash' | 'credentialsChangedAt'>>;
