// Mongo side of "Apps and partners": client uses (one upsert per token), and "Stop sharing" without
// transactions: each `grant.revoked` waits at its recoverable step (proof: the consent memory is gone) until the
// member's consent memory, uses and partner link are deleted.
import { Buffer } from 'node:buffer';
import type { Model } from 'mongoose';
import type { AppSharingRepository, ClientUse, Withdrawal } from '../../server/domain/consent/app-sharing.repository.ts';
import type { StoredConsent } from '../../server/domain/consent/consents.repository.ts';
import type { PartnerMemberLink } from '../../server/domain/partners/partners.repository.ts';
import { pairId } from './claims.ts';
import type { ClientUseDoc, ConsentDoc } from './consent-models.ts';
import { toConsent } from './consents.ts';
import { confirmEvents, insertPendingEvents } from './events.ts';
import type { EventDoc, PartnerLinkDoc } from './models.ts';

export interface AppSharingModels {
  consents: Model<ConsentDoc>;
  clientUses: Model<ClientUseDoc>;
  partnerLinks: Model<PartnerLinkDoc>;
  events: Model<EventDoc>;
}

export class MongoAppSharingRepository implements AppSharingRepository {
  private readonly models: AppSharingModels;

  constructor(models: AppSharingModels) {
    this.models = models;
  }

  async recordUse(accountId: string, clientId: string, at: Date): Promise<void> {
    // $max, not $set: two tokens racing never move "last used" back.
    await this.models.clientUses.updateOne(
      { _id: pairId(accountId, clientId) },
      { $setOnInsert: { accountId, clientId, firstUsedAt: at }, $max: { lastUsedAt: at } },
      { upsert: true },
    ).exec();
  }

  async listUses(accountId: string): Promise<ClientUse[]> {
    const docs = await this.models.clientUses.find({ accountId }).lean<ClientUseDoc[]>().exec();
    return docs.map((doc) => ({ accountId: doc.accountId, clientId: doc.clientId, firstUsedAt: doc.firstUsedAt, lastUsedAt: doc.lastUsedAt }));
  }

  async listConsents(accountId: string): Promise<StoredConsent[]> {
    return (await this.models.consents.find({ accountId }).lean<ConsentDoc[]>().exec()).map(toConsent);
  }

  async listPartnerLinks(accountId: string): Promise<PartnerMemberLink[]> {
    const docs = await this.models.partnerLinks.find({ accountId }).lean<PartnerLinkDoc[]>().exec();
    return docs.map(({ _id: _key, ...link }) => link);
  }

  async withdraw(withdrawal: Withdrawal): Promise<void> {
    const { accountId, clientIds, partnerId, events } = withdrawal;
    const pending = [];
    for (const event of events) {
      const clientId = typeof event.data.client_id === 'string' ? event.data.client_id : '';
      pending.push(...await insertPendingEvents(this.models.events, [event], `withdrawn:${Buffer.from(pairId(accountId, clientId)).toString('base64url')}`));
    }
    const pairs = clientIds.map((clientId) => pairId(accountId, clientId));
    await this.models.consents.deleteMany({ _id: { $in: pairs } }).exec();
    await this.models.clientUses.deleteMany({ _id: { $in: pairs } }).exec();
    if (partnerId !== null) await this.models.partnerLinks.deleteMany({ accountId, partnerId }).exec();
    await confirmEvents(this.models.events, pending);
  }
}
