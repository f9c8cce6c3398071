// Mongo side of the members' data rights: stored exports, erasure requests, and the erasure of a member's
// documents in every collection (single-document writes only: FerretDB has no multi-document transactions,
// so erasure is a sequence of idempotent steps that a retry, or the sweeper's next pass, completes).
import type { Connection } from 'mongoose';
import type { CouponUse } from '../../server/domain/coupons/coupons.repository.ts';
import type { ImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import type { PartnerMemberLink } from '../../server/domain/partners/partners.repository.ts';
import type { ErasureRequest, ErasureSubject, PrivacyStore, StoredExport } from '../../server/domain/privacy/privacy.repository.ts';
import { isDuplicateKey } from './errors.ts';
import type { EventDoc } from './event-models.ts';
import { insertReadyEvents } from './events.ts';
import type { CodeDoc, CouponUseDoc, FactorDoc, ImportedMemberClaimDoc, ImportedMemberDoc, LoyaltyMemberDoc, OidcDoc, PartnerLinkDoc, PasskeyDoc } from './models.ts';

interface ExportDoc {
  _id: string;
  accountId: string;
  archive: string | null;
  createdAt: Date;
  readyAt: Date | null;
  expiresAt: Date;
}

interface ErasureDoc {
  _id: string;
  requestedAt: Date;
  eraseAt: Date;
}

/** A document of a collection this module only deletes from or re-keys. */
interface KeyedDoc {
  _id: string;
  [field: string]: unknown;
}

/** Appended to a unique value while its document is being re-keyed (see rekey). */
const MOVED_ASIDE = '\u0000erasing';

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toExport({ _id: id, ...rest }: ExportDoc): StoredExport {
  return { id, ...rest };
}

function toErasure(doc: ErasureDoc): ErasureRequest {
  return { accountId: doc._id, requestedAt: doc.requestedAt, eraseAt: doc.eraseAt };
}

export class MongoPrivacyStore implements PrivacyStore {
  private readonly connection: Connection;

  private constructor(connection: Connection) {
    this.connection = connection;
  }

  static async open(connection: Connection): Promise<MongoPrivacyStore> {
    const store = new MongoPrivacyStore(connection);
    // One index per call, as indexes.ts does: what FerretDB 1.24 takes when several instances open one database.
    await store.collection<ExportDoc>('member_exports').createIndex({ accountId: 1 }, { name: 'accountId_1' });
    await store.collection<ExportDoc>('member_exports').createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    await store.collection<ErasureDoc>('erasure_requests').createIndex({ eraseAt: 1 }, { name: 'eraseAt_1' });
    return store;
  }

  private collection<T extends { _id: string }>(name: string) {
    const db = this.connection.db;
    if (!db) throw new Error('MongoDB storage is not connected');
    return db.collection<T>(name);
  }

  async createExport(input: Pick<StoredExport, 'id' | 'accountId' | 'createdAt' | 'expiresAt'>): Promise<void> {
    await this.collection<ExportDoc>('member_exports').insertOne({ _id: input.id, accountId: input.accountId, archive: null, createdAt: input.createdAt, readyAt: null, expiresAt: input.expiresAt });
  }

  async completeExport(id: string, archive: string, at: Date): Promise<boolean> {
    const { matchedCount } = await this.collection<ExportDoc>('member_exports').updateOne({ _id: id }, { $set: { archive, readyAt: at } });
    return matchedCount > 0;
  }

  async findExport(id: string, now: Date): Promise<StoredExport | undefined> {
    const doc = await this.collection<ExportDoc>('member_exports').findOne({ _id: id, expiresAt: { $gt: now } });
    return doc ? toExport(doc) : undefined;
  }

  async findLatestExport(accountId: string, now: Date): Promise<StoredExport | undefined> {
    const [doc] = await this.collection<ExportDoc>('member_exports').find({ accountId, expiresAt: { $gt: now } }).sort({ createdAt: -1, _id: 1 }).limit(1).toArray();
    return doc ? toExport(doc) : undefined;
  }

  async listUnbuiltExports(before: Date, limit: number): Promise<string[]> {
    const docs = await this.collection<ExportDoc>('member_exports').find({ archive: null, createdAt: { $lt: before } }).sort({ createdAt: 1 }).limit(limit).toArray();
    return docs.map((doc) => doc._id);
  }

  async sweepExpiredExports(now: Date): Promise<number> {
    return (await this.collection<ExportDoc>('member_exports').deleteMany({ expiresAt: { $lte: now } })).deletedCount;
  }

  async scheduleErasure(request: ErasureRequest, options: { replaceLater?: boolean } = {}): Promise<ErasureRequest> {
    const requests = this.collection<ErasureDoc>('erasure_requests');
    try {
      await requests.insertOne({ _id: request.accountId, requestedAt: request.requestedAt, eraseAt: request.eraseAt });
      return request;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    // Conditional: only ever brings the date forward, so concurrent requests settle on the earliest.
    if (options.replaceLater) await requests.updateOne({ _id: request.accountId, eraseAt: { $gt: request.eraseAt } }, { $set: { eraseAt: request.eraseAt } });
    const current = await requests.findOne({ _id: request.accountId });
    return current ? toErasure(current) : request;
  }

  async findErasure(accountId: string): Promise<ErasureRequest | undefined> {
    const doc = await this.collection<ErasureDoc>('erasure_requests').findOne({ _id: accountId });
    return doc ? toErasure(doc) : undefined;
  }

  async cancelErasure(accountId: string): Promise<boolean> {
    return (await this.collection<ErasureDoc>('erasure_requests').deleteOne({ _id: accountId })).deletedCount > 0;
  }

  async listDueErasures(now: Date, limit: number): Promise<string[]> {
    const docs = await this.collection<ErasureDoc>('erasure_requests').find({ eraseAt: { $lte: now } }).sort({ eraseAt: 1 }).limit(limit).toArray();
    return docs.map((doc) => doc._id);
  }

  async listClaimedCards(accountId: string): Promise<ImportedMember[]> {
    const claims = await this.collection<ImportedMemberClaimDoc>('imported_member_claims').find({ accountId }).sort({ claimedAt: 1 }).toArray();
    const records: ImportedMember[] = [];
    for (const claim of claims) {
      const doc = await this.collection<ImportedMemberDoc>('imported_members').findOne({ _id: claim._id });
      if (!doc) continue;
      records.push({ cardNumber: doc._id, name: doc.name, email: doc.email ?? null, phone: doc.phone ?? null, balance: claim.balance, importedAt: doc.importedAt, claimedBy: accountId, claimedAt: claim.claimedAt });
    }
    return records;
  }

  async listCouponUses(accountId: string): Promise<CouponUse[]> {
    const docs = await this.collection<CouponUseDoc>('coupon_uses').find({ accountId, kind: 'total' }).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map((doc) => ({
      id: doc._id, campaignId: doc.campaignId, accountId: doc.accountId, code: doc.code ?? null, points: doc.points ?? null,
      idempotencyKey: doc.idempotencyKey ?? null, requestHash: doc.requestHash ?? null, createdAt: doc.createdAt, creditedAt: doc.creditedAt ?? null,
    }));
  }

  async listPartnerLinks(accountId: string): Promise<PartnerMemberLink[]> {
    const docs = await this.collection<PartnerLinkDoc>('partner_member_links').find({ accountId }).sort({ linkedAt: 1 }).toArray();
    return docs.map(({ _id: _key, ...link }) => link);
  }

  async eraseMember(subject: ErasureSubject): Promise<void> {
    const { accountId: id, email, phone, tombstone } = subject;
    // What accounting keeps, re-keyed under the tombstone first (a crash before the account goes leaves the
    // erasure request in place, and the sweeper's next pass finishes the job).
    const members = this.collection<LoyaltyMemberDoc>('loyalty_members');
    const member = await members.findOne({ _id: id });
    if (member) {
      await members.updateOne({ _id: tombstone }, { $setOnInsert: { ...member, _id: tombstone, memberNumber: `erased:${tombstone}` } }, { upsert: true });
      await members.deleteOne({ _id: id });
    }
    // Entries are keyed "<account>:<sequence>", and their idempotency keys point at those ids.
    await this.rekey('ledger_entries', id, tombstone, 'idempotencyKey');
    // A key claim's _id is the idempotency key itself, which may name the account (redemptions, imports).
    const keys = this.collection<KeyedDoc>('ledger_keys');
    for (const key of await keys.find({ accountId: id }).toArray()) {
      const entryId = typeof key.entryId === 'string' ? key.entryId.split(id).join(tombstone) : null;
      await keys.updateOne({ _id: key._id }, { $set: { entryId } });
    }
    await this.rekey('ledger_keys', id, tombstone);
    // Held redemptions point at those entries: accounting keeps them too (issue 21), re-keyed the same way.
    const holds = this.collection<KeyedDoc>('held_redemptions');
    for (const hold of await holds.find({ accountId: id }).toArray()) {
      const rekeyed = (value: unknown) => (typeof value === 'string' ? value.split(id).join(tombstone) : null);
      await holds.updateOne({ _id: hold._id }, { $set: { accountId: tombstone, entryId: rekeyed(hold.entryId), idempotencyKey: rekeyed(hold.idempotencyKey) } });
    }
    await this.rekey('coupon_uses', id, tombstone);
    await this.rekey('coupon_code_uses', id, tombstone);

    const claims = await this.collection<ImportedMemberClaimDoc>('imported_member_claims').find({ accountId: id }).toArray();
    await this.collection<ImportedMemberDoc>('imported_members').deleteMany({ _id: { $in: claims.map((claim) => claim._id) } });
    await this.collection<ImportedMemberClaimDoc>('imported_member_claims').deleteMany({ accountId: id });

    const factorIds = (await this.collection<FactorDoc>('factors').find({ accountId: id }).toArray()).map((factor) => factor._id);
    await this.collection<KeyedDoc>('factor_uses').deleteMany({ factorId: { $in: factorIds } });
    const passkeyIds = (await this.collection<PasskeyDoc>('passkeys').find({ accountId: id }).toArray()).map((passkey) => passkey._id);
    await this.collection<KeyedDoc>('passkey_uses').deleteMany({ passkeyId: { $in: passkeyIds } });
    for (const name of ['factors', 'recovery_codes', 'recovery_code_uses', 'passkeys', 'profile_fields', 'partner_member_links', 'known_devices', 'member_exports', 'member_consents', 'member_client_uses']) {
      await this.collection<KeyedDoc>(name).deleteMany({ accountId: id });
    }
    await this.collection<KeyedDoc>('profile_sign_ins').deleteOne({ _id: id });
    // What an import kept beside the account (tier, consents, an unverified phone): SQLite cascades it.
    await this.collection<KeyedDoc>('member_import_data').deleteOne({ _id: id });
    // Issue 20: an erased staff member keeps no roles; adjustments of the member go (the ledger keeps their reason).
    await this.collection<KeyedDoc>('staff_roles').deleteOne({ _id: id });
    await this.collection<KeyedDoc>('points_adjustments').deleteMany({ accountId: id });
    await this.collection<KeyedDoc>('staff_claims').deleteMany({ accountId: id });
    // A freeze of the member's redemptions, with the reason staff typed.
    await this.collection<KeyedDoc>('redemption_freezes').deleteOne({ _id: id });

    const contacts = [id, email, ...(phone ? [phone] : [])];
    const contactPattern = new RegExp(contacts.map(escapeRegex).join('|'));
    const codes = this.collection<CodeDoc>('one_time_codes');
    const codeIds = (await codes.find({ $or: [{ subject: { $in: contacts } }, { data: { $regex: contactPattern } }] }).toArray()).map((code) => code._id);
    await this.collection<KeyedDoc>('code_events').deleteMany({ codeId: { $in: codeIds } });
    await codes.deleteMany({ _id: { $in: codeIds } });

    const oidc = this.collection<OidcDoc>('oidc_payloads');
    const grantIds = (await oidc.find({ model: 'Grant', accountId: id }).toArray()).map((grant) => grant.id);
    await oidc.deleteMany({ grantId: { $in: grantIds } });
    await oidc.deleteMany({ accountId: id });
    // Interactions (short-lived, few) carry the account id inside their payload only: only they are searched.
    await oidc.deleteMany({ model: 'Interaction', payload: { $regex: new RegExp(escapeRegex(id)) } });
    await this.collection<KeyedDoc>('audit_events').deleteMany({ accountId: id });

    // Purpose consents go with the member; receipts keep their decisions under the tombstone, without the JWS.
    await this.collection<KeyedDoc>('purpose_consent_records').deleteMany({ accountId: id });
    await this.collection<KeyedDoc>('purpose_consent_receipts').updateMany({ accountId: id }, { $set: { accountId: tombstone, jws: null } });
    // Linked social and enterprise identities (a link found later could sign someone in as nobody, or as a new member).
    await this.collection<KeyedDoc>('federated_identities').deleteMany({ accountId: id });
    await this.collection<KeyedDoc>('identifiers').deleteMany({ accountId: id });
    // Merges into the member (issue 21) are kept for accounting under the tombstone, without staff's free text.
    for (const merge of await this.collection<KeyedDoc>('member_merges').find({ survivorId: id }).toArray()) {
      const method = (merge.proof as { method?: unknown } | undefined)?.method;
      await this.collection<KeyedDoc>('member_merges').updateOne({ _id: merge._id }, { $set: { survivorId: tombstone, reason: '', proof: { method: typeof method === 'string' ? method : 'other' } } });
    }
    await this.collection<KeyedDoc>('accounts').deleteOne({ _id: id });
    // member.deleted before the request goes: a crash in between erases again, and its derived id keeps one event.
    if (subject.events?.length) await insertReadyEvents(this.connection.model<EventDoc>('OutboxEvent'), subject.events);
    await this.collection<ErasureDoc>('erasure_requests').deleteOne({ _id: id });
  }

  /**
   * Re-keys the account's documents of `name` under the tombstone, ids that embed the account id included (a new
   * document, then the old one deleted). `uniqueField` (a unique index besides _id) is moved aside on the old
   * document first, with a suffix a retry strips, so the copy can take it. The old document is deleted only once
   * its copy is known to exist: a failure loses nothing, and a retry (the sweeper's next pass) picks up from there.
   */
  private async rekey(name: string, id: string, tombstone: string, uniqueField?: string): Promise<void> {
    const collection = this.collection<KeyedDoc>(name);
    for (const doc of await collection.find({ accountId: id }).toArray()) {
      if (!doc._id.includes(id)) {
        await collection.updateOne({ _id: doc._id }, { $set: { accountId: tombstone } });
        continue;
      }
      const replacement: KeyedDoc = { ...doc, _id: doc._id.split(id).join(tombstone), accountId: tombstone };
      const unique = uniqueField ? doc[uniqueField] : undefined;
      if (uniqueField && typeof unique === 'string') {
        const original = unique.endsWith(MOVED_ASIDE) ? unique.slice(0, -MOVED_ASIDE.length) : unique;
        await collection.updateOne({ _id: doc._id }, { $set: { [uniqueField]: original + MOVED_ASIDE } });
        replacement[uniqueField] = original.split(id).join(tombstone);
      }
      try {
        await collection.insertOne(replacement);
      } catch (error) {
        // A retry after a crash between the insert and the delete: the copy is there already.
        if (!isDuplicateKey(error) || !(await collection.findOne({ _id: replacement._id }))) throw error;
      }
      await collection.deleteOne({ _id: doc._id });
    }
  }
}
