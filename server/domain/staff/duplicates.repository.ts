// Port: the indexed look-ups duplicate detection needs (issue 21 item 1); every method reads by an index, none scans.

/** The profile fields that identify a person well enough to suspect a second account (name, birthdate, postcode). */
export interface IdentityFields {
  givenName: string | null;
  familyName: string | null;
  birthdate: string | null;
  postcode: string | null;
}

export interface DuplicatesRepository {
  /** Up to `limit` accounts in id order after `after` ('' for the first page), with their verified phone. */
  accountsAfter(after: string, limit: number): Promise<Array<{ id: string; phone: string | null }>>;
  /** Accounts that claimed an imported card whose contact phone is `phone` (index on the card's phone). */
  cardClaimersByPhone(phone: string): Promise<string[]>;
  /** The cards these accounts claimed (index on the claimer). */
  cardsClaimedBy(accountIds: readonly string[]): Promise<Array<{ accountId: string; cardNumber: string }>>;
  /** The identifying profile fields of these accounts (primary key look-ups). */
  identityFields(accountIds: readonly string[]): Promise<Map<string, IdentityFields>>;
  /** Accounts whose birthdate is exactly `birthdate` (index on the field's name and value), at most `limit`. */
  accountsByBirthdate(birthdate: string, limit: number): Promise<string[]>;
}
