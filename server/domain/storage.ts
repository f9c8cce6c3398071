// The set of repositories one storage adapter provides (composition root input).
import type { AccountsRepository } from './accounts/accounts.repository.ts';
import type { AuditRepository } from './audit/audit.repository.ts';
import type { ClientsRepository } from './clients/clients.repository.ts';
import type { CodesRepository } from './codes/codes.repository.ts';
import type { ConnectionsRepository } from './connections/connections.repository.ts';
import type { FederatedIdentitiesRepository } from './connections/federated-identities.repository.ts';
import type { SamlAssertionIdsRepository } from './connections/saml-assertion-ids.repository.ts';
import type { SamlIdpKeysRepository } from './saml-idp/saml-idp-keys.repository.ts';
import type { CouponsRepository } from './coupons/coupons.repository.ts';
import type { DevicesRepository } from './devices/devices.repository.ts';
import type { ConsentsRepository } from './consent/consents.repository.ts';
import type { AppSharingRepository } from './consent/app-sharing.repository.ts';
import type { PurposeConsentsRepository } from './consent/purpose-consents.repository.ts';
import type { EventsRepository } from './events/events.repository.ts';
import type { AnalyticsRepository } from './analytics/analytics.repository.ts';
import type { WebhooksRepository } from './events/webhooks.repository.ts';
import type { FactorsRepository } from './factors/factors.repository.ts';
import type { HooksRepository } from './hooks/hooks.repository.ts';
import type { KeysRepository } from './keys/keys.repository.ts';
import type { ImportedMembersRepository } from './loyalty/imported-members.repository.ts';
import type { MergesRepository } from './merge/merges.repository.ts';
import type { MemberImportStore } from './accounts/member-import-store.ts';
import type { LoyaltyRepository } from './loyalty/loyalty.repository.ts';
import type { HeldRedemptionsRepository } from './loyalty/held-redemptions.repository.ts';
import type { OidcStore } from './oidc/oidc-store.repository.ts';
import type { PartnersRepository } from './partners/partners.repository.ts';
import type { PasskeysRepository } from './passkeys/passkeys.repository.ts';
import type { ProfilesRepository } from './profile/profiles.repository.ts';
import type { PrivacyStore } from './privacy/privacy.repository.ts';
import type { RateLimitStore } from '../security/rate-limit/rate-limiter.ts';
import type { MemberSearchRepository, StaffRepository } from './staff/staff.repository.ts';
import type { DuplicatesRepository } from './staff/duplicates.repository.ts';

export interface Storage {
  readonly kind: 'sqlite' | 'mongo';
  readonly accounts: AccountsRepository;
  readonly clients: ClientsRepository;
  readonly keys: KeysRepository;
  readonly codes: CodesRepository;
  readonly factors: FactorsRepository;
  readonly passkeys: PasskeysRepository;
  readonly loyalty: LoyaltyRepository;
  /** Redemptions the risk rules held for review (issue 21). */
  readonly heldRedemptions: HeldRedemptionsRepository;
  /** Members of the old program waiting to be claimed (issue 4). */
  readonly importedMembers: ImportedMembersRepository;
  /** Checkpoints of bulk member imports and the old program's data kept on members (issue 19). */
  readonly memberImports: MemberImportStore;
  readonly partners: PartnersRepository;
  /** Upstream identity providers members sign in through (issue 16). */
  readonly connections: ConnectionsRepository;
  /** Upstream identities linked to members by (connection, subject). */
  readonly federatedIdentities: FederatedIdentitiesRepository;
  /** Accepted SAML assertion ids until they expire (replay cache of saml connections). */
  readonly samlAssertionIds: SamlAssertionIdsRepository;
  /** Our SAML IdP signing key for partners' SAML service providers (issue 16 item 5). */
  readonly samlIdpKeys: SamlIdpKeysRepository;
  /** Partners' coupon campaigns and their capped uses (issue 4). */
  readonly coupons: CouponsRepository;
  readonly profiles: ProfilesRepository;
  /** Devices each account signed in on (risk signals; issue 5). */
  readonly devices: DevicesRepository;
  /** What each member consented to share with each client, across sessions (issue 15). */
  readonly consents: ConsentsRepository;
  /** The "Apps and partners" page: when each client was last used, and "Stop sharing" (issue 17 item 2). */
  readonly appSharing: AppSharingRepository;
  /** Members' purpose consents and terms acceptances, with their signed receipts (issue 17 items 1 and 3). */
  readonly purposeConsents: PurposeConsentsRepository;
  /** The append-only security audit log (issue 5). */
  readonly audit: AuditRepository;
  /** The transactional outbox of domain events (issue 18). */
  readonly events: EventsRepository;
  /** Analytics rollups kept by an outbox consumer, and the events export (issue 18). */
  readonly analytics: AnalyticsRepository;
  /** Webhook subscriptions and their delivery queue (issue 18). */
  readonly webhooks: WebhooksRepository;
  /** The operator's hooks and the claims post-login hooks added (issue 18). */
  readonly hooks: HooksRepository;
  readonly oidc: OidcStore;
  /** Members' data rights: exports, scheduled erasures, and erasing every row of a member (issue 17). */
  readonly privacy: PrivacyStore;
  /** Rate-limit counters shared by every process on the store (issue 5). */
  readonly rateLimits: RateLimitStore;
  /** Staff roles and points adjustments awaiting a second person (issue 20). */
  readonly staff: StaffRepository;
  /** The member search by name prefix (issue 20). */
  readonly memberSearch: MemberSearchRepository;
  /** Indexed look-ups for likely duplicate members (issue 21 item 1). */
  readonly duplicates: DuplicatesRepository;
  /** Merges of duplicate members: tombstones of absorbed members and partners' old subs (issue 21). */
  readonly merges: MergesRepository;
  /** Resolves when the store answers a trivial query; rejects otherwise (readiness probe). */
  ping(): Promise<void>;
  /**
   * Resolves when the store accepts a tiny write (one health row, upserted); rejects otherwise. A store can
   * answer reads while refusing every write (disk full, read-only): readiness must see that (issue 14, item 27).
   */
  canWrite(): Promise<void>;
  close(): Promise<void>;
}
