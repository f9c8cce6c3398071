// Mongo imported members without transactions. FerretDB 1.24 applies no conditional update atomically, so
// "claimed once" is not `updateOne({claimedBy: null})` but the insert of an `imported_member_claims` document
// whose _id is the card number: of concurrent claimers exactly one inserts it. That document is the truth (who,
// when, and the balance claimed); the claimedBy copy on the record is written after it, and put back should a
// racing re-import overwrite it.
import type { Model } from 'mongoose';
import { assertValidImportedMember } from '../../server/domain/loyalty/imported-member-rules.ts';
import type { ClaimResult, ImportedMember, ImportedMembersRepository, ImportOutcome, NewImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import { insertUnique } from './claims.ts';
import { retryOnDuplicate } from './errors.ts';
import type { ImportedMemberClaimDoc, ImportedMemberDoc, Models } from './models.ts';

/** The record as the port has it: claimed (with the claimed balance) exactly when a claim document exists. */
function toImportedMember(doc: ImportedMemberDoc, claim: ImportedMemberClaimDoc | null): ImportedMember {
  return {
    cardNumber: doc._id,
    name: doc.name,
    email: doc.email ?? null,
    phone: doc.phone ?? null,
    balance: claim?.balance ?? doc.balance,
    importedAt: doc.importedAt,
    claimedBy: claim?.accountId ?? null,
    claimedAt: claim?.claimedAt ?? null,
  };
}

export type ImportedMemberModels = Pick<Models, 'importedMembers' | 'importedMemberClaims'>;

export class MongoImportedMembersRepository implements ImportedMembersRepository {
  private readonly members: Model<ImportedMemberDoc>;
  private readonly claims: Model<ImportedMemberClaimDoc>;

  constructor(models: ImportedMemberModels) {
    this.members = models.importedMembers;
    this.claims = models.importedMemberClaims;
  }

  /**
   * Claimed cards are skipped by their claim documents. A claim made while the batch is written may still see
   * its record overwritten; the second look at the claims reports that card as claimed (the claim came first,
   * as far as anyone can tell) and puts its claim back on the record.
   */
  async importMany(records: readonly NewImportedMember[]): Promise<ImportOutcome[]> {
    for (const record of records) assertValidImportedMember(record);
    if (records.length === 0) return [];
    const cardNumbers = [...new Set(records.map((record) => record.cardNumber))];
    const claimedBefore = await this.claimsOf(cardNumbers);
    const existing = new Set(
      (await this.members.find({ _id: { $in: cardNumbers } }, { _id: 1 }).lean<Array<Pick<ImportedMemberDoc, '_id'>>>().exec()).map((doc) => doc._id),
    );
    const toWrite = records.filter((record) => !claimedBefore.has(record.cardNumber));
    const importedAt = new Date();
    if (toWrite.length > 0) {
      // Upserts by _id: two imports of one new card racing both try to insert, and the loser retries as an update.
      await retryOnDuplicate(() => this.members.bulkWrite(toWrite.map((record) => ({
        updateOne: {
          filter: { _id: record.cardNumber },
          update: {
            $set: { name: record.name, email: record.email, phone: record.phone, balance: record.balance, importedAt },
            $setOnInsert: { claimedBy: null, claimedAt: null },
          },
          upsert: true,
        },
      })), { ordered: true }));
    }
    const claimedDuring = await this.claimsOf(toWrite.map((record) => record.cardNumber));
    for (const claim of claimedDuring.values()) await this.markClaimed(claim);

    const seen = new Set<string>();
    return records.map((record): ImportOutcome => {
      const { cardNumber } = record;
      if (claimedBefore.has(cardNumber) || claimedDuring.has(cardNumber)) return 'claimed';
      const outcome = existing.has(cardNumber) || seen.has(cardNumber) ? 'updated' : 'inserted';
      seen.add(cardNumber);
      return outcome;
    });
  }

  async find(cardNumber: string): Promise<ImportedMember | undefined> {
    const [doc, claim] = await Promise.all([
      this.members.findById(cardNumber).lean<ImportedMemberDoc>().exec(),
      this.claims.findById(cardNumber).lean<ImportedMemberClaimDoc>().exec(),
    ]);
    return doc ? toImportedMember(doc, claim) : undefined;
  }

  async claim(cardNumber: string, accountId: string): Promise<ClaimResult> {
    const [doc, held] = await Promise.all([
      this.members.findById(cardNumber).lean<ImportedMemberDoc>().exec(),
      this.claims.findById(cardNumber).lean<ImportedMemberClaimDoc>().exec(),
    ]);
    if (!doc) return { ok: false, reason: 'not_found' };
    const claim: ImportedMemberClaimDoc = held ?? { _id: cardNumber, accountId, balance: doc.balance, claimedAt: new Date() };
    const won = !held && (await insertUnique(this.claims, claim));
    const winner = won ? claim : (held ?? (await this.claims.findById(cardNumber).lean<ImportedMemberClaimDoc>().exec()));
    if (winner?.accountId !== accountId) return { ok: false, reason: 'claimed' };
    // A crash before this line leaves the copy unwritten: the claim document still decides, and a retry writes it.
    await this.markClaimed(winner);
    return { ok: true, record: toImportedMember(doc, winner), alreadyYours: !won };
  }

  private async claimsOf(cardNumbers: string[]): Promise<Map<string, ImportedMemberClaimDoc>> {
    if (cardNumbers.length === 0) return new Map();
    const docs = await this.claims.find({ _id: { $in: cardNumbers } }).lean<ImportedMemberClaimDoc[]>().exec();
    return new Map(docs.map((doc) => [doc._id, doc]));
  }

  /** Copies the claim onto the record (a plain $set: every writer writes the claim document's own values). */
  private async markClaimed(claim: ImportedMemberClaimDoc): Promise<void> {
    await this.members.updateOne({ _id: claim._id }, { $set: { claimedBy: claim.accountId, claimedAt: claim.claimedAt, balance: claim.balance } });
  }
}
