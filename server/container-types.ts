// What the composition root (container.ts) hands to the app, the server's entry point and the tests.
import type { Config } from '../config/index.ts';
import type { InteractionDeps } from '../interactions/shared/deps.ts';
import type { SamlIdpDeps } from '../interactions/saml-idp/saml-idp-deps.ts';
import type { PartnerLogos } from './branding/partner-logos.ts';
import type { AccountService } from './domain/accounts/account-service.ts';
import type { ImportJobs } from './domain/accounts/import-jobs.ts';
import type { AuditLog } from './domain/audit/audit-log.ts';
import type { CouponService } from './domain/coupons/coupon-service.ts';
import type { EventDispatcher } from './domain/events/event-dispatcher.ts';
import type { AnalyticsRollup } from './domain/analytics/analytics-rollup.ts';
import type { WebhookService } from './domain/events/webhook-service.ts';
import type { SigningKeys } from './domain/keys/key-service.ts';
import type { LoyaltyService } from './domain/loyalty/loyalty-service.ts';
import type { Mailer } from './domain/mail/mailer.ts';
import type { PartnerLinks } from './domain/partners/partner-links.ts';
import type { PurposeConsentService } from './domain/consent/purpose-consent-service.ts';
import type { MemberErasure } from './domain/privacy/member-erasure.ts';
import type { MemberMerge } from './domain/merge/member-merge.ts';
import type { MemberExports } from './domain/privacy/member-export.ts';
import type { Storage } from './domain/storage.ts';
import type { HookRunner } from './hooks/hook-runner.ts';
import type { DeliveryQueue } from './mail/delivery-queue.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { OutboundClient } from './security/outbound/outbound-fetch.ts';
import type { RedemptionRisk } from './security/risk/redemption-risk.ts';
import type { RiskEngine } from './security/risk/risk-engine.ts';
import type { BackchannelLogout } from './sessions/backchannel-logout.ts';
import type { SessionBindings } from './sessions/session-bindings.ts';
import type { SessionGuard } from './sessions/session-guard.ts';
import type { Tracing } from './tracing/tracing.ts';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';

export interface Container {
  config: Readonly<Config>;
  logger: Logger;
  storage: Storage;
  mailer: Mailer;
  /** Email and SMS wait here to go out after the response (drained by close()). */
  deliveries: DeliveryQueue;
  accounts: AccountService;
  loyalty: LoyaltyService;
  partnerLinks: PartnerLinks;
  coupons: CouponService;
  /** The security audit log (issue 5): record() never throws, so no flow fails because of it. */
  audit: AuditLog;
  /** The signing keys from the store (rotation; the partner and member APIs verify tokens with the published ones). */
  signingKeys: SigningKeys;
  provider: Provider;
  interactions: InteractionDeps;
  /** Our SAML IdP role for partners' SAML service providers (issue 16 item 5). */
  samlIdp: SamlIdpDeps;
  /** The risk engine (sign-in step-up is in interactions; redemptions use it too). */
  risk: RiskEngine;
  /** The risk of a redemption: sign-in rules plus the points-fraud rules (issue 21). */
  redemptionRisk: RedemptionRisk;
  /** Back-channel logout for the sessions the account service ends itself, and retries of failed deliveries. */
  backchannelLogout: BackchannelLogout;
  /** Where each signed-in session was made and last used (the account page's session list). */
  sessionBindings: SessionBindings;
  sessionGuard: SessionGuard;
  /** SSRF-safe HTTP: `partners` for URLs clients registered, `operator` for URLs set in the environment. */
  outbound: { partners: OutboundClient; operator: OutboundClient; hooks: OutboundClient };
  /** Partner logos (client logo_uri) fetched through the partner outbound client and served from our origin. */
  partnerLogos: PartnerLogos;
  /** The operator's hooks (issue 18): signed callouts at sign-up, sign-in, client credentials and redemption. */
  hooks: HookRunner;
  /** OpenTelemetry tracing when configured (TRACING_ENABLED / OTEL_EXPORTER_OTLP_ENDPOINT); undefined: the SDK is not loaded. */
  tracing: Tracing | undefined;
  /** The Prometheus registry and its metrics (GET /metrics); one per container, so test servers never share counts. */
  metrics: Metrics;
  /** Webhook subscriptions (admin API) and the outbox dispatcher, when this process runs it (WEBHOOKS_DISPATCHER). */
  webhooks: WebhookService;
  dispatcher: EventDispatcher | undefined;
  /** The analytics rollup consumer, when this process runs it (ANALYTICS_ROLLUPS). */
  analytics: AnalyticsRollup | undefined;
  /** "Download my data" and the admin export (issue 17). */
  exports: MemberExports;
  /** "Delete my account", its grace period and the admin erasure (issue 17). */
  erasure: MemberErasure;
  /** Purpose consents, terms acceptance and their signed receipts (issue 17 items 1 and 3). */
  purposeConsents: PurposeConsentService;
  /** Merging duplicate members: the admin API's merge and preview, recovery of half-done merges (issue 21). */
  merges: MemberMerge;
  /** Admin import jobs (issue 19): running ones left by a previous process are resumed at creation. */
  importJobs: ImportJobs;
  close(): Promise<void>;
}
