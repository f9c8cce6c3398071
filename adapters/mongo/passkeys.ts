// Mongo passkeys. The counter's single use rests on `passkey_uses` inserts with unique _ids: FerretDB 1.24 runs an
// update as a read, then a write of the whole document by _id, so neither a filter (counter < n) nor $max is atomic there.
import type { Model } from 'mongoose';
import { DomainError } from '../../server/domain/errors.ts';
import type { Passkey, PasskeysRepository } from '../../server/domain/passkeys/passkeys.repository.ts';
import { insertUnique, pairId } from './claims.ts';
import type { Models, PasskeyDoc, PasskeyUseDoc } from './models.ts';

function toPasskey(doc: PasskeyDoc): Passkey {
  return {
    id: doc._id,
    accountId: doc.accountId,
    publicKey: doc.publicKey,
    counter: doc.counter,
    transports: doc.transports,
    deviceType: doc.deviceType,
    backedUp: doc.backedUp,
    name: doc.name,
    createdAt: doc.createdAt,
    lastUsedAt: doc.lastUsedAt ?? null,
  };
}

export type PasskeyModels = Pick<Models, 'passkeys' | 'passkeyUses'>;

/**
 * The true counter of a passkey is the higher of its document's and its highest use record's: on FerretDB a
 * write racing a sign-in (another sign-in, a rename) can put back the counter it read, but a use record, once
 * inserted, stays until a higher one replaces it. So a counter accepted once is refused for good, whatever the
 * document says. find() and listByAccount() report the document's counter, which may lag after such a race;
 * that is safe, as recordUse() still refuses what was used.
 *
 * Left open: a lower counter read before a higher one was recorded can still be accepted (both sign-ins
 * succeed, as if the lower came first). That needs two sign-ins with one credential in the same instant,
 * i.e. a cloned authenticator used alongside the original; the next use of either is then judged on the
 * higher counter.
 */
export class MongoPasskeysRepository implements PasskeysRepository {
  private readonly passkeys: Model<PasskeyDoc>;
  private readonly uses: Model<PasskeyUseDoc>;

  constructor(models: PasskeyModels) {
    this.passkeys = models.passkeys;
    this.uses = models.passkeyUses;
  }

  async create(passkey: Passkey): Promise<void> {
    const doc: PasskeyDoc = {
      _id: passkey.id,
      accountId: passkey.accountId,
      publicKey: passkey.publicKey,
      counter: passkey.counter,
      transports: passkey.transports,
      deviceType: passkey.deviceType,
      backedUp: passkey.backedUp,
      name: passkey.name,
      createdAt: passkey.createdAt,
      lastUsedAt: passkey.lastUsedAt,
    };
    if (!(await insertUnique(this.passkeys, doc))) throw new DomainError('duplicate', `Passkey ${passkey.id} already exists`);
  }

  async find(id: string): Promise<Passkey | undefined> {
    const doc = await this.passkeys.findById(id).lean<PasskeyDoc>().exec();
    return doc ? toPasskey(doc) : undefined;
  }

  async listByAccount(accountId: string): Promise<Passkey[]> {
    const docs = await this.passkeys.find({ accountId }).sort({ createdAt: 1, _id: 1 }).lean<PasskeyDoc[]>().exec();
    return docs.map(toPasskey);
  }

  async countByAccount(accountId: string): Promise<number> {
    return this.passkeys.countDocuments({ accountId }).exec();
  }

  async recordUse(id: string, counter: number, at: Date): Promise<boolean> {
    const [doc, highest] = await Promise.all([
      this.passkeys.findById(id).lean<PasskeyDoc>().exec(),
      this.uses.findOne({ passkeyId: id }).sort({ counter: -1 }).lean<PasskeyUseDoc>().exec(),
    ]);
    if (!doc) return false;
    const stored = Math.max(doc.counter, highest?.counter ?? 0);
    if (counter === 0 && stored === 0) {
      // An authenticator without a counter: nothing to single out, so concurrent sign-ins all succeed.
      const { matchedCount } = await this.passkeys.updateOne({ _id: id, counter: 0 }, { $set: { lastUsedAt: at } });
      return matchedCount === 1;
    }
    if (counter <= stored) return false;
    // The claim: of concurrent sign-ins presenting this counter, exactly one inserts it.
    if (!(await insertUnique(this.uses, { _id: pairId(id, String(counter)), passkeyId: id, counter, at }))) return false;
    // $max so that on MongoDB a higher counter recorded meanwhile is never put back; on FerretDB see above.
    const { matchedCount } = await this.passkeys.updateOne({ _id: id }, { $max: { counter }, $set: { lastUsedAt: at } });
    if (matchedCount === 0) return false; // deleted meanwhile (its record stays behind, as after delete())
    // Lower records refuse nothing our own does not, so they go; ours, or a higher one, always stays.
    await this.uses.deleteMany({ passkeyId: id, counter: { $lt: counter } });
    return true;
  }

  async rename(id: string, accountId: string, name: string): Promise<boolean> {
    const { matchedCount } = await this.passkeys.updateOne({ _id: id, accountId }, { $set: { name } });
    return matchedCount === 1;
  }

  async delete(id: string, accountId: string): Promise<boolean> {
    const { deletedCount } = await this.passkeys.deleteOne({ _id: id, accountId });
    if (deletedCount === 0) return false;
    // A sign-in racing this delete may insert a use record after it; that record could only refuse counters of
    // a credential registered again under this id, which authenticators never do (they draw a new random id).
    await this.uses.deleteMany({ passkeyId: id });
    return true;
  }
}
