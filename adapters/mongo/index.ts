// The scale-out store: MongoDB through mongoose, restricted to what both MongoDB and FerretDB 1.24 honour.
import mongoose from 'mongoose';
import { CachedClientsRepository } from '../../server/domain/clients/cached-clients.ts';
import { sealingConnectionSecrets } from '../../server/domain/connections/sealed-connection-secrets.ts';
import { sealingClientSecrets } from '../../server/domain/clients/sealed-client-secrets.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { MongoAccountsRepository } from './accounts.ts';
import { MongoAuditRepository } from './audit.ts';
import { MongoEventsRepository } from './events.ts';
import { MongoAnalyticsRepository } from './analytics.ts';
import { MongoWebhooksRepository } from './webhooks.ts';
import { MongoClientsRepository } from './clients.ts';
import { MongoCodesRepository } from './codes.ts';
import { MongoConnectionsRepository } from './connections.ts';
import { MongoFederatedIdentitiesRepository } from './federated-identities.ts';
import { MongoSamlAssertionIdsRepository } from './saml-assertion-ids.ts';
import { MongoSamlIdpKeysRepository } from './saml-idp-keys.ts';
import { MongoDevicesRepository } from './devices.ts';
import { MongoConsentsRepository } from './consents.ts';
import { MongoAppSharingRepository } from './app-sharing.ts';
import { MongoPurposeConsentsRepository } from './purpose-consents.ts';
import { MongoFactorsRepository } from './factors.ts';
import { MongoHooksRepository } from './hooks.ts';
import { MongoImportedMembersRepository } from './imported-members.ts';
import { MongoMemberImportStore } from './member-imports.ts';
import { ensureIndexes } from './indexes.ts';
import { MongoKeysRepository } from './keys.ts';
import { MongoHeldRedemptionsRepository } from './held-redemptions.ts';
import { MongoLoyaltyRepository } from './loyalty.ts';
import { MongoMergesRepository } from './merges.ts';
import { MongoCouponsRepository } from './coupons.ts';
import { MongoPartnersRepository } from './partners.ts';
import { MongoProfilesRepository } from './profiles.ts';
import { registerModels } from './models.ts';
import { MongoOidcStore } from './oidc-store.ts';
import { MongoPasskeysRepository } from './passkeys.ts';
import { MongoPrivacyStore } from './privacy.ts';
import { MongoRateLimitStore } from './rate-limits.ts';
import { MongoMemberSearchRepository, MongoStaffRepository } from './staff.ts';
import { MongoDuplicatesRepository } from './duplicates.ts';

export interface MongoStorageOptions {
  /** mongodb:// or mongodb+srv:// URI; the database is the one named in its path. */
  uri: string;
  /** Seals client secrets at rest (derived from KEY_ENCRYPTION_KEY); without it they are stored as given. */
  clientSecretKey?: Buffer | undefined;
}

/** The readiness write probe's one document (Storage.canWrite). */
interface HealthProbeDoc {
  _id: string;
  checkedAt: Date;
  writes: number;
}

export async function openMongoStorage(options: MongoStorageOptions): Promise<Storage> {
  // A private connection (not mongoose's global one), so several stores can coexist, e.g. in tests.
  // No command buffering: an unreachable server must surface as an error, not as a silent queue.
  const connection = mongoose.createConnection(options.uri, { autoIndex: false, autoCreate: false, bufferCommands: false });
  try {
    await connection.asPromise();
    const models = registerModels(connection);
    await ensureIndexes(models);
    const memberImports = new MongoMemberImportStore(connection);
    await memberImports.ensureIndexes();
    const clients = await sealingClientSecrets(new MongoClientsRepository(models.clients), options.clientSecretKey);
    const loyalty = new MongoLoyaltyRepository(models);
    return {
      kind: 'mongo',
      accounts: new MongoAccountsRepository(models.accounts, models.identifiers, models.events),
      clients: new CachedClientsRepository(clients),
      keys: new MongoKeysRepository(models.keys),
      codes: new MongoCodesRepository(models.codes, models.codeEvents),
      factors: new MongoFactorsRepository(models),
      passkeys: new MongoPasskeysRepository(models),
      loyalty,
      heldRedemptions: new MongoHeldRedemptionsRepository(models, loyalty),
      importedMembers: new MongoImportedMembersRepository(models),
      memberImports,
      partners: new MongoPartnersRepository(models.partners, models.partnerLinks),
      connections: sealingConnectionSecrets(new MongoConnectionsRepository(models.connections), options.clientSecretKey),
      federatedIdentities: new MongoFederatedIdentitiesRepository(models.federatedIdentities),
      samlAssertionIds: new MongoSamlAssertionIdsRepository(models.samlAssertionIds),
      samlIdpKeys: new MongoSamlIdpKeysRepository(models.samlIdpKeys),
      coupons: new MongoCouponsRepository(models),
      profiles: new MongoProfilesRepository(models.profileFields, models.profileSignIns, models.events),
      devices: new MongoDevicesRepository(models.knownDevices),
      consents: new MongoConsentsRepository(models.consents),
      appSharing: new MongoAppSharingRepository(models),
      purposeConsents: new MongoPurposeConsentsRepository(models),
      audit: new MongoAuditRepository(models.auditEvents, models.events),
      events: new MongoEventsRepository(models),
      analytics: await MongoAnalyticsRepository.open(connection),
      webhooks: new MongoWebhooksRepository(models),
      hooks: new MongoHooksRepository(models),
      oidc: new MongoOidcStore(models.oidc),
      privacy: await MongoPrivacyStore.open(connection),
      rateLimits: new MongoRateLimitStore(models),
      staff: await MongoStaffRepository.open(connection),
      memberSearch: new MongoMemberSearchRepository(connection),
      duplicates: new MongoDuplicatesRepository(models),
      merges: await MongoMergesRepository.open(connection, { loyalty, accounts: new MongoAccountsRepository(models.accounts, models.identifiers, models.events), factors: new MongoFactorsRepository(models) }),
      async ping() {
        const db = connection.db;
        if (!db) throw new Error('MongoDB storage is not connected');
        await db.admin().command({ ping: 1 });
      },
      async canWrite() {
        const db = connection.db;
        if (!db) throw new Error('MongoDB storage is not connected');
        // One document every instance upserts; acknowledged by the primary (the connection's write concern).
        await db.collection<HealthProbeDoc>('health_probes').updateOne(
          { _id: 'write-probe' },
          { $set: { checkedAt: new Date() }, $inc: { writes: 1 } },
          { upsert: true },
        );
      },
      async close() {
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}
