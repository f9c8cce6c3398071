// The embedded default store: one node:sqlite file in DATA_DIR, shared safely by several processes.
import { CachedClientsRepository } from '../../server/domain/clients/cached-clients.ts';
import { sealingConnectionSecrets } from '../../server/domain/connections/sealed-connection-secrets.ts';
import { sealingClientSecrets } from '../../server/domain/clients/sealed-client-secrets.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { SqliteAccountsRepository } from './accounts.ts';
import { SqliteAuditRepository } from './audit.ts';
import { SqliteClientsRepository } from './clients.ts';
import { SqliteCodesRepository } from './codes.ts';
import { SqliteConnectionsRepository } from './connections.ts';
import { SqliteFederatedIdentitiesRepository } from './federated-identities.ts';
import { SqliteSamlAssertionIdsRepository } from './saml-assertion-ids.ts';
import { SqliteSamlIdpKeysRepository } from './saml-idp-keys.ts';
import { SqliteCouponsRepository } from './coupons.ts';
import { openDatabase } from './database.ts';
import { SqliteDevicesRepository } from './devices.ts';
import { SqliteConsentsRepository } from './consents.ts';
import { SqliteAppSharingRepository } from './app-sharing.ts';
import { SqlitePurposeConsentsRepository } from './purpose-consents.ts';
import { SqliteEventsRepository } from './events.ts';
import { SqliteAnalyticsRepository } from './analytics.ts';
import { SqliteFactorsRepository } from './factors.ts';
import { SqliteHooksRepository } from './hooks.ts';
import { SqliteImportedMembersRepository } from './imported-members.ts';
import { SqliteKeysRepository } from './keys.ts';
import { SqliteHeldRedemptionsRepository } from './held-redemptions.ts';
import { SqliteLoyaltyRepository } from './loyalty.ts';
import { SqliteMemberImportStore } from './member-imports.ts';
import { SqliteMergesRepository } from './merges.ts';
import { SqliteOidcStore } from './oidc-store.ts';
import { SqlitePartnersRepository } from './partners.ts';
import { SqliteProfilesRepository } from './profiles.ts';
import { SqlitePasskeysRepository } from './passkeys.ts';
import { SqlitePrivacyStore } from './privacy.ts';
import { SqliteRateLimitStore } from './rate-limits.ts';
import { SqliteWebhooksRepository } from './webhooks.ts';
import { SqliteMemberSearchRepository, SqliteStaffRepository } from './staff.ts';
import { SqliteDuplicatesRepository } from './duplicates.ts';

export interface SqliteStorageOptions {
  /** Directory holding `idp.sqlite` (created if missing); `':memory:'` for a throwaway in-memory store. */
  dataDir: string;
  /** Seals client secrets at rest (derived from KEY_ENCRYPTION_KEY); without it they are stored as given. */
  clientSecretKey?: Buffer | undefined;
}

export async function openSqliteStorage(options: SqliteStorageOptions): Promise<Storage> {
  const db = openDatabase(options.dataDir);
  // A second connection for oidc-provider's ephemeral state (see openDatabase on durability); an
  // in-memory store cannot be shared between connections, so it keeps one.
  const ephemeral = options.dataDir === ':memory:' ? db : openDatabase(options.dataDir, 'normal');
  const ping = db.prepare('SELECT 1 AS ok');
  // On the synchronous=FULL connection: the probe commits (and syncs) like the writes that hold points.
  const probe = db.prepare('INSERT INTO health_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at');
  const oidc = new SqliteOidcStore(ephemeral);
  const clients = await sealingClientSecrets(new SqliteClientsRepository(db), options.clientSecretKey);
  const loyalty = new SqliteLoyaltyRepository(db);
  return {
    kind: 'sqlite',
    accounts: new SqliteAccountsRepository(db),
    clients: new CachedClientsRepository(clients),
    keys: new SqliteKeysRepository(db),
    codes: new SqliteCodesRepository(db),
    factors: new SqliteFactorsRepository(db),
    passkeys: new SqlitePasskeysRepository(db),
    partners: new SqlitePartnersRepository(db),
    connections: sealingConnectionSecrets(new SqliteConnectionsRepository(db), options.clientSecretKey),
    federatedIdentities: new SqliteFederatedIdentitiesRepository(db),
    samlAssertionIds: new SqliteSamlAssertionIdsRepository(db),
    samlIdpKeys: new SqliteSamlIdpKeysRepository(db),
    coupons: new SqliteCouponsRepository(db),
    profiles: new SqliteProfilesRepository(db, ephemeral),
    // A sighting is written on every sign-in: on the FULL connection its fsync blocked the event loop for the
    // largest share of a sign-in's main-thread time (bench/sign-in-throughput profile). A power cut that loses
    // the last sightings only makes a device look new again: more step-up, never less.
    devices: new SqliteDevicesRepository(ephemeral),
    hooks: new SqliteHooksRepository(db),
    consents: new SqliteConsentsRepository(db),
    // Uses on the NORMAL connection (a write per token); "Stop sharing" on the FULL one with its event.
    appSharing: new SqliteAppSharingRepository(db, ephemeral),
    purposeConsents: new SqlitePurposeConsentsRepository(db),
    // Points live on the synchronous=FULL connection (design §4): a committed post survives power loss.
    loyalty,
    // Holds write ledger entries: same connection, inside the ledger's transactions.
    heldRedemptions: new SqliteHeldRedemptionsRepository(db, loyalty),
    importedMembers: new SqliteImportedMembersRepository(db),
    // Same connection as the members and points it commits with (one transaction per batch).
    memberImports: new SqliteMemberImportStore(db),
    // The audit log takes a write with every sign-in attempt, attackers' included: on the FULL connection
    // each would be an fsync blocking the event loop, which an attack could turn into a stall. On the
    // NORMAL one a process crash loses nothing (WAL); a power cut may lose the last moments of the log.
    audit: new SqliteAuditRepository(ephemeral),
    // Events themselves are written with their change, on that change's connection. The relay's and the
    // deliveries' bookkeeping (published marks, queue, attempts, the lease) is on the NORMAL one: an fsync per
    // delivery would stall the event loop (bench/events.ts), and a power cut losing its last moments only
    // relays or delivers again, which the (webhook, event) key and the receivers' webhook-id dedup absorb.
    events: new SqliteEventsRepository(ephemeral),
    webhooks: new SqliteWebhooksRepository(ephemeral),
    // Rollups are derived data, rebuilt from nothing but the counted marks: the NORMAL connection, like the relay.
    analytics: new SqliteAnalyticsRepository(ephemeral),
    oidc,
    privacy: new SqlitePrivacyStore(db, ephemeral),
    // Counters are ephemeral-grade: a power cut losing their last moments only forgives a few attempts,
    // while an fsync per consume (synchronous=FULL) would stall the event loop on every guarded request.
    rateLimits: new SqliteRateLimitStore(ephemeral),
    // Roles decide who may do what, and adjustments hold points: the synchronous=FULL connection.
    staff: new SqliteStaffRepository(db),
    memberSearch: new SqliteMemberSearchRepository(db),
    duplicates: new SqliteDuplicatesRepository(db),
    // A merge moves accounts and points together: the synchronous=FULL connection, in one transaction.
    merges: new SqliteMergesRepository(db, loyalty),
    async ping() {
      if (!db.isOpen) throw new Error('SQLite storage is closed');
      ping.get();
    },
    async canWrite() {
      if (!db.isOpen) throw new Error('SQLite storage is closed');
      probe.run(Date.now());
    },
    async close() {
      // Idempotent: shutdown paths may close twice. Writes still queued for a group commit go in first.
      if (ephemeral.isOpen) {
        oidc.flush();
        ephemeral.close();
      }
      if (db.isOpen) db.close();
    },
  };
}
