// SQLite look-ups for duplicate detection (issue 21 item 1), each served by an index of migration 37 or a key.
import type { DatabaseSync } from 'node:sqlite';
import type { DuplicatesRepository, IdentityFields } from '../../server/domain/staff/duplicates.repository.ts';
import { text, textOrNull } from './rows.ts';

const FIELDS = { given_name: 'givenName', family_name: 'familyName', birthdate: 'birthdate', 'address.postal_code': 'postcode' } as const;

export class SqliteDuplicatesRepository implements DuplicatesRepository {
  private readonly db: DatabaseSync;
  private readonly statements;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.statements = {
      accountsAfter: db.prepare('SELECT id, phone FROM accounts WHERE id > ? ORDER BY id LIMIT ?'),
      claimersByPhone: db.prepare('SELECT DISTINCT claimed_by FROM imported_members WHERE phone = ? AND claimed_by IS NOT NULL'),
      byBirthdate: db.prepare("SELECT account_id FROM profile_fields WHERE name = 'birthdate' AND value = ? LIMIT ?"),
    };
  }

  async accountsAfter(after: string, limit: number): Promise<Array<{ id: string; phone: string | null }>> {
    return this.statements.accountsAfter.all(after, limit).map((row) => ({ id: text(row, 'id'), phone: textOrNull(row, 'phone') }));
  }

  async cardClaimersByPhone(phone: string): Promise<string[]> {
    return this.statements.claimersByPhone.all(phone).map((row) => text(row, 'claimed_by'));
  }

  async cardsClaimedBy(accountIds: readonly string[]): Promise<Array<{ accountId: string; cardNumber: string }>> {
    if (accountIds.length === 0) return [];
    const marks = accountIds.map(() => '?').join(', ');
    return this.db.prepare(`SELECT claimed_by, card_number FROM imported_members WHERE claimed_by IN (${marks})`).all(...accountIds)
      .map((row) => ({ accountId: text(row, 'claimed_by'), cardNumber: text(row, 'card_number') }));
  }

  async identityFields(accountIds: readonly string[]): Promise<Map<string, IdentityFields>> {
    const result = new Map<string, IdentityFields>();
    if (accountIds.length === 0) return result;
    const marks = accountIds.map(() => '?').join(', ');
    const rows = this.db.prepare(`SELECT account_id, name, value FROM profile_fields
      WHERE account_id IN (${marks}) AND name IN ('given_name', 'family_name', 'birthdate', 'address.postal_code')`).all(...accountIds);
    for (const row of rows) {
      const id = text(row, 'account_id');
      const fields = result.get(id) ?? { givenName: null, familyName: null, birthdate: null, postcode: null };
      fields[FIELDS[text(row, 'name') as keyof typeof FIELDS]] = textOrNull(row, 'value');
      result.set(id, fields);
    }
    return result;
  }

  async accountsByBirthdate(birthdate: string, limit: number): Promise<string[]> {
    return this.statements.byBirthdate.all(birthdate, limit).map((row) => text(row, 'account_id'));
  }
}
