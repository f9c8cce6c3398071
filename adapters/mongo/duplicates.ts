// Mongo look-ups for duplicate detection (issue 21 item 1), each served by an index of indexes.ts or an _id.
// Whether a card is claimed is its claim document's say (imported_member_claims), not the record's copy.
import type { DuplicatesRepository, IdentityFields } from '../../server/domain/staff/duplicates.repository.ts';
import type { Models } from './models.ts';

const FIELDS = { given_name: 'givenName', family_name: 'familyName', birthdate: 'birthdate', 'address.postal_code': 'postcode' } as const;

export class MongoDuplicatesRepository implements DuplicatesRepository {
  private readonly models: Models;

  constructor(models: Models) {
    this.models = models;
  }

  async accountsAfter(after: string, limit: number): Promise<Array<{ id: string; phone: string | null }>> {
    const docs = await this.models.accounts.find({ _id: { $gt: after } }, { _id: 1, phone: 1 }).sort({ _id: 1 }).limit(limit).lean();
    return docs.map((doc) => ({ id: doc._id, phone: doc.phone ?? null }));
  }

  async cardClaimersByPhone(phone: string): Promise<string[]> {
    const cards = await this.models.importedMembers.find({ phone }, { _id: 1 }).limit(100).lean();
    if (cards.length === 0) return [];
    const claims = await this.models.importedMemberClaims.find({ _id: { $in: cards.map((card) => card._id) } }, { accountId: 1 }).lean();
    return [...new Set(claims.map((claim) => claim.accountId))];
  }

  async cardsClaimedBy(accountIds: readonly string[]): Promise<Array<{ accountId: string; cardNumber: string }>> {
    if (accountIds.length === 0) return [];
    const claims = await this.models.importedMemberClaims.find({ accountId: { $in: [...accountIds] } }, { _id: 1, accountId: 1 }).lean();
    return claims.map((claim) => ({ accountId: claim.accountId, cardNumber: claim._id }));
  }

  async identityFields(accountIds: readonly string[]): Promise<Map<string, IdentityFields>> {
    const result = new Map<string, IdentityFields>();
    if (accountIds.length === 0) return result;
    // By _id ("<accountId>\0<name>"): four primary-key look-ups per account.
    const ids = accountIds.flatMap((id) => Object.keys(FIELDS).map((name) => `${id}\0${name}`));
    const docs = await this.models.profileFields.find({ _id: { $in: ids } }, { accountId: 1, name: 1, value: 1 }).lean();
    for (const doc of docs) {
      const fields = result.get(doc.accountId) ?? { givenName: null, familyName: null, birthdate: null, postcode: null };
      fields[FIELDS[doc.name as keyof typeof FIELDS]] = doc.value ?? null;
      result.set(doc.accountId, fields);
    }
    return result;
  }

  async accountsByBirthdate(birthdate: string, limit: number): Promise<string[]> {
    const docs = await this.models.profileFields.find({ name: 'birthdate', value: birthdate }, { accountId: 1 }).limit(limit).lean();
    return docs.map((doc) => doc.accountId);
  }
}
