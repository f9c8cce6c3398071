// Port: members imported from the old program (card number, name, contact, balance), with no login until
// an account claims them; a record is claimed once, by one account. Implemented by adapters/sqlite and adapters/mongo.

export interface ImportedMember {
  /** The old program's card number: 8-19 digits as text, leading zeros kept (see imported-member-rules.ts); unique. */
  cardNumber: string;
  /** 1-200 characters. */
  name: string;
  /** Lower-cased address the claim code may go to, or null. */
  email: string | null;
  /** E.164 mobile number the claim code may go to by SMS, or null. */
  phone: string | null;
  /** Points carried over from the old program; never negative. Once claimed, the balance that was claimed. */
  balance: number;
  /** When this version of the record was imported (a re-import of an unclaimed card moves it). */
  importedAt: Date;
  /** The account that claimed the record, or null while nobody has. Never changes once set. */
  claimedBy: string | null;
  claimedAt: Date | null;
}

export type NewImportedMember = Pick<ImportedMember, 'cardNumber' | 'name' | 'email' | 'phone' | 'balance'>;

/** What importing one record did: written new, written over an unclaimed one, or left alone as claimed. */
export type ImportOutcome = 'inserted' | 'updated' | 'claimed';

export type ClaimResult =
  /** `alreadyYours`: this account had claimed it before (a retry); `record` is the claimed record either way. */
  | { ok: true; record: ImportedMember; alreadyYours: boolean }
  | { ok: false; reason: 'not_found' | 'claimed' };

export interface ImportedMembersRepository {
  /**
   * Imports records, idempotent by card number: a new card is inserted, an unclaimed one is overwritten, a
   * claimed one is left as it is. Returns one outcome per record, in order. Throws DomainError('invalid_input')
   * (writing nothing) when a record breaks the rules of imported-member-rules.ts.
   */
  importMany(records: readonly NewImportedMember[]): Promise<ImportOutcome[]>;
  find(cardNumber: string): Promise<ImportedMember | undefined>;
  /**
   * Marks the record claimed by `accountId`, atomically: of concurrent claims of one card by different accounts
   * exactly one gets ok (alreadyYours false); the others get `claimed`. A claim by the account that holds it
   * already is ok with alreadyYours true.
   */
  claim(cardNumber: string, accountId: string): Promise<ClaimResult>;
}
