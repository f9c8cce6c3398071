// Mongo partners repository: partners, and member links whose _id is the (partner, subject) pair.
import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { NewLink, Partner, PartnerMemberLink, PartnersRepository } from '../../server/domain/partners/partners.repository.ts';
import { isDuplicateKey } from './errors.ts';
import type { PartnerDoc, PartnerLinkDoc } from './models.ts';

const linkId = (partnerId: string, subject: string) => `${partnerId}:${subject}`;

function toPartner(doc: PartnerDoc): Partner {
  return { id: doc._id, name: doc.name, createdAt: doc.createdAt };
}

function toLink({ _id: _key, ...link }: PartnerLinkDoc): PartnerMemberLink {
  return link;
}

export class MongoPartnersRepository implements PartnersRepository {
  private readonly partners: Model<PartnerDoc>;
  private readonly links: Model<PartnerLinkDoc>;

  constructor(partners: Model<PartnerDoc>, links: Model<PartnerLinkDoc>) {
    this.partners = partners;
    this.links = links;
  }

  async create(input: { name: string }): Promise<Partner> {
    const doc: PartnerDoc = { _id: randomUUID(), name: input.name, createdAt: new Date() };
    await this.partners.create(doc);
    return toPartner(doc);
  }

  async find(id: string): Promise<Partner | undefined> {
    const doc = await this.partners.findById(id).lean<PartnerDoc>().exec();
    return doc ? toPartner(doc) : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<Partner[]> {
    let filter = {};
    if (options.after) {
      const cursor = await this.partners.findById(options.after).lean<PartnerDoc>().exec();
      if (!cursor) return [];
      filter = { $or: [{ createdAt: { $gt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $gt: cursor._id } }] };
    }
    const docs = await this.partners.find(filter).sort({ createdAt: 1, _id: 1 }).limit(options.limit).lean<PartnerDoc[]>().exec();
    return docs.map(toPartner);
  }

  async rename(id: string, name: string): Promise<Partner | undefined> {
    const result = await this.partners.updateOne({ _id: id }, { $set: { name } }).exec();
    return result.matchedCount === 0 ? undefined : this.find(id);
  }

  /** One link per member and partner (the subject is derived from the member), so the links are the members. */
  countMembers(partnerId: string): Promise<number> {
    return this.links.countDocuments({ partnerId }).exec();
  }

  /**
   * An upsert by _id: the pair is the key, so concurrent links leave one document (the last scope wins,
   * which is what a refresh means). linkedAt is set only when the document is inserted.
   */
  async link(input: NewLink): Promise<void> {
    const now = new Date();
    await this.links.updateOne(
      { _id: linkId(input.partnerId, input.subject) },
      {
        $set: { accountId: input.accountId, scope: input.scope, updatedAt: now },
        $setOnInsert: { partnerId: input.partnerId, subject: input.subject, linkedAt: now },
      },
      { upsert: true },
    ).catch(async (error: unknown) => {
      // Two first links racing: the loser's insert hits the winner's _id; as an update it then succeeds.
      if (!isDuplicateKey(error)) throw error;
      await this.links.updateOne({ _id: linkId(input.partnerId, input.subject) }, { $set: { accountId: input.accountId, scope: input.scope, updatedAt: now } });
    });
  }

  async findLink(partnerId: string, subject: string): Promise<PartnerMemberLink | undefined> {
    const doc = await this.links.findById(linkId(partnerId, subject)).lean<PartnerLinkDoc>().exec();
    return doc ? toLink(doc) : undefined;
  }
}
