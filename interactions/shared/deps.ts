// What every interaction flow needs; built once in server/container.ts.
import type Provider from 'oidc-provider';
import type { AccountService } from '../../server/domain/accounts/account-service.ts';
import type { PhoneService } from '../../server/domain/accounts/phone-service.ts';
import type { AuditLog } from '../../server/domain/audit/audit-log.ts';
import type { CodeFactor } from '../../server/domain/factors/code-factor.ts';
import type { TotpFactor } from '../../server/domain/factors/totp-factor.ts';
import type { CardClaimService } from '../../server/domain/loyalty/card-claim.ts';
import type { OwnershipProofs } from '../../server/domain/member-merge/ownership-proof.ts';
import type { CouponService } from '../../server/domain/coupons/coupon-service.ts';
import type { LoyaltyService } from '../../server/domain/loyalty/loyalty-service.ts';
import type { HeldRedemptionsRepository } from '../../server/domain/loyalty/held-redemptions.repository.ts';
import type { CouponDeviceGuard } from '../../server/security/risk/coupon-device-guard.ts';
import type { PasskeyService } from '../../server/domain/passkeys/passkey-service.ts';
import type { ProfileService } from '../../server/domain/profile/profile-service.ts';
import type { Csrf } from '../../server/middleware/koa-csrf.ts';
import type { DeviceCookie } from '../../server/security/device-cookie.ts';
import type { BotChallenge } from '../../server/security/bot-challenge/bot-challenge.ts';
import type { SignInProtection } from '../../server/security/sign-in-protection.ts';
import type { SignUpProtection } from '../../server/security/sign-up-protection.ts';
import type { RateLimitStore } from '../../server/security/rate-limit/rate-limiter.ts';
import type { AttackProtection } from '../../config/attack-protection.ts';
import type { Mailer } from '../../server/domain/mail/mailer.ts';
import type { HookRunner } from '../../server/hooks/hook-runner.ts';
import type { PasskeyOffer } from '../passkey/offer.ts';
import type { AppSharing } from '../../server/domain/consent/app-sharing.ts';
import type { MemberErasure } from '../../server/domain/privacy/member-erasure.ts';
import type { MemberMerge } from '../../server/domain/merge/member-merge.ts';
import type { MemberExports } from '../../server/domain/privacy/member-export.ts';
import type { FlowCookie } from './flow-state.ts';
import type { PartnerLogos } from '../../server/branding/partner-logos.ts';
import type { ConsentsRepository } from '../../server/domain/consent/consents.repository.ts';
import type { MemberSessions } from '../../server/sessions/member-sessions.ts';
import type { EmailChangeService } from '../../server/domain/accounts/email-change.ts';
import type { FederationDeps } from '../federation/federation-deps.ts';
import type { PurposeConsentService } from '../../server/domain/consent/purpose-consent-service.ts';

export interface InteractionDeps {
  provider: Provider;
  accounts: AccountService;
  /** Second factors by a code to the verified email, or by SMS to the verified phone (the mfa prompt). */
  emailFactor: CodeFactor;
  smsFactor: CodeFactor;
  /** Adding a phone and signing in by SMS; `enabled` is false without an SMS provider. */
  phones: PhoneService;
  /** Authenticator apps and their recovery codes. */
  totp: TotpFactor;
  /** Progressive profiling (the profile prompt) and the sign-in count it waits on. */
  profiles: ProfileService;
  /** The member's number and balance (the account page's loyalty card section). */
  loyalty: LoyaltyService;
  /** The member's redemptions held for review: "pending review" on the account page (issue 21). */
  heldRedemptions: Pick<HeldRedemptionsRepository, 'listByAccount'>;
  /** Members per coupon campaign per device: refuses coupon farming from one browser (issue 21). */
  couponDevices: Pick<CouponDeviceGuard, 'check' | 'record'>;
  /** Claiming a card of the old program into the account. */
  cardClaims: CardClaimService;
  /** Proving the member's other account before merging it into theirs (issue 21). */
  mergeProofs: OwnershipProofs;
  coupons: CouponService;
  /** Passkey (WebAuthn) ceremonies. */
  passkeys: PasskeyService;
  /** Whether to offer a passkey after a password sign-in. */
  passkeyOffer: PasskeyOffer;
  /** Security notices (e.g. a passkey was added). */
  mailer: Mailer;
  /** The security audit log: sign-in outcomes, blocks, factor changes (record() never throws). */
  audit: AuditLog;
  /** The proof-of-work bot check, issued and verified per interaction when risk asks for it. */
  botChallenge: BotChallenge;
  csrf: Csrf;
  flow: FlowCookie;
  /** The browser's long-lived device id (known-device and sign-up velocity signals). */
  deviceCookie: DeviceCookie;
  /** Lockout, stuffing detection, unlock links, known devices and the sign-in risk assessment. */
  signIns: SignInProtection;
  /** Sign-up velocity per address and browser, and when sign-up needs the bot challenge. */
  signUps: SignUpProtection;
  /** The store's rate-limit counters (per-route rules such as interactions/code-sign-in/limits.ts). */
  rateLimits: RateLimitStore;
  attackProtection: AttackProtection;
  /** A partner's logo for its consent page, fetched by us and served from our origin (server/branding). */
  partnerLogos: PartnerLogos;
  /** Kiosk clients' pages: the idle seconds after which the server ends the flow (KIOSK_IDLE_SECONDS). */
  kiosk: { idleSeconds: number };
  /** The operator's pre-registration and post-login hooks (issue 18). */
  hooks: HookRunner;
  /** Consents remembered per (member, client), saved by the consent page. */
  consents: ConsentsRepository;
  /** The member's sessions and known devices, for the account page that lists and ends them. */
  memberSessions: MemberSessions;
  /** Changing the email: a code to the new address, the undo link to the old one. */
  emailChange: EmailChangeService;
  /** "Download my data": archives built in the background, downloaded by their member only. */
  exports: MemberExports;
  /** "Delete my account": the grace period, its cancellation, and the erasure. */
  erasure: MemberErasure;
  /** Merging a duplicate member into this one (issue 21): preview and merge (server/domain/merge/member-merge.ts). */
  merges: MemberMerge;
  /** "Apps and partners": what each client or partner receives, and "Stop sharing" (issue 17 item 2). */
  appSharing: AppSharing;
  /** Upstream identity providers: "Continue with" buttons, their sign-in and safe linking (issue 16). */
  federation: FederationDeps;
  /** Purpose consents and terms acceptance, their receipts (issue 17 items 1 and 3). */
  purposeConsents: PurposeConsentService;
}

/** The oidc-provider interaction loaded for this request (see koa-load-interaction.ts). */
export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;
