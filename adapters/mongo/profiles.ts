// Mongo progressive profiles: a document per (account, field) with _id "<accountId>\0<name>" (field names
// such as address.postal_code contain dots, so they are values here, never keys), upserted one at a time.
import type { Model } from 'mongoose';
import type { Profile, ProfilesRepository } from '../../server/domain/profile/profiles.repository.ts';
import { isDuplicateKey } from './errors.ts';
import { profileUpdatedEvent } from '../../server/domain/events/domain-event.ts';
import { confirmEvents, insertPendingEvents } from './events.ts';
import type { EventDoc, ProfileFieldDoc, ProfileSignInsDoc } from './models.ts';

const fieldId = (accountId: string, name: string) => `${accountId}\0${name}`;

export class MongoProfilesRepository implements ProfilesRepository {
  private readonly fields: Model<ProfileFieldDoc>;
  private readonly signIns: Model<ProfileSignInsDoc>;

  private readonly events: Model<EventDoc>;

  constructor(fields: Model<ProfileFieldDoc>, signIns: Model<ProfileSignInsDoc>, events: Model<EventDoc>) {
    this.fields = fields;
    this.signIns = signIns;
    this.events = events;
  }

  async find(accountId: string): Promise<Profile> {
    const docs = await this.fields.find({ accountId }).lean<ProfileFieldDoc[]>().exec();
    const fields: Profile['fields'] = {};
    for (const doc of docs) fields[doc.name] = { name: doc.name, value: doc.value ?? null, skippedAt: doc.skippedAt ?? null, updatedAt: doc.updatedAt };
    const counted = await this.signIns.findById(accountId).lean<ProfileSignInsDoc>().exec();
    return { fields, signIns: counted?.count ?? 0 };
  }

  async update(accountId: string, changes: { values?: Record<string, string>; skipped?: string[] }, at: Date): Promise<void> {
    const writes = [
      ...Object.entries(changes.values ?? {}).map(([name, value]) => ({ name, set: { value, skippedAt: null, updatedAt: at } })),
      ...(changes.skipped ?? []).map((name) => ({ name, set: { skippedAt: at, updatedAt: at } })),
    ];
    // member.profile_updated (names only) at its recoverable step: proof is a field of the account written at `at`.
    const names = Object.keys(changes.values ?? {});
    const pending = names.length === 0 ? [] : await insertPendingEvents(this.events, [profileUpdatedEvent(accountId, names, at)], `profile:${accountId}:${at.getTime()}`);
    // A failed write leaves the event pending: some fields may be in, so recovery decides on the proof, as after a crash.
    for (const { name, set } of writes) await this.upsert(accountId, name, set);
    await confirmEvents(this.events, pending);
  }

  /** An upsert by _id; two first writes racing make one insert fail on the _id, which then updates. */
  private async upsert(accountId: string, name: string, set: Partial<ProfileFieldDoc>): Promise<void> {
    const write = () => this.fields.updateOne({ _id: fieldId(accountId, name) }, { $set: set, $setOnInsert: { accountId, name } }, { upsert: true });
    await write().catch(async (error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
      await write();
    });
  }

  async recordSignIn(accountId: string): Promise<number> {
    const increment = () => this.signIns.findOneAndUpdate({ _id: accountId }, { $inc: { count: 1 } }, { upsert: true, returnDocument: 'after' }).lean<ProfileSignInsDoc>().exec();
    const doc = await increment().catch(async (error: unknown) => {
      if (!isDuplicateKey(error)) throw error;
      return increment();
    });
    return doc?.count ?? 0;
  }

  async delete(accountId: string): Promise<void> {
    await this.fields.deleteMany({ accountId });
    await this.signIns.deleteOne({ _id: accountId });
  }
}
