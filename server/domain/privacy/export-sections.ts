// The member's data export, one section per kind of data: each section reads its own store and says what it
// holds in plain JSON. A new kind of data (consents, receipts, linked accounts, ...) is a new section here.
import type { ConnectionsRepository } from '../connections/connections.repository.ts';
import type { FederatedIdentitiesRepository } from '../connections/federated-identities.repository.ts';
import type { Account } from '../accounts/account.ts';
import type { AuditRepository } from '../audit/audit.repository.ts';
import type { DevicesRepository } from '../devices/devices.repository.ts';
import type { FactorsRepository } from '../factors/factors.repository.ts';
import type { LoyaltyRepository } from '../loyalty/loyalty.repository.ts';
import type { OidcPayload, OidcStore } from '../oidc/oidc-store.repository.ts';
import type { PartnersRepository } from '../partners/partners.repository.ts';
import type { PasskeysRepository } from '../passkeys/passkeys.repository.ts';
import type { ProfilesRepository } from '../profile/profiles.repository.ts';
import type { PrivacyStore } from './privacy.repository.ts';
import type { PurposeConsentsRepository } from '../consent/purpose-consents.repository.ts';

/** JSON values only: the archive is written with JSON.stringify and checked against docs/member-export.schema.json. */
export type ExportValue = string | number | boolean | null | ExportValue[] | { [key: string]: ExportValue };

export interface ExportSection {
  /** The key of the section in the archive (snake_case, stable: the JSON Schema names it). */
  readonly name: string;
  collect(account: Account, now: Date): Promise<ExportValue>;
}

/** Access history as GDPR art. 15 asks for it: the last 90 days of the member's own audit events. */
export const ACCESS_HISTORY_DAYS = 90;
const PAGE = 500;

const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);
const epochIso = (value: unknown): string | null => (typeof value === 'number' ? new Date(value * 1000).toISOString() : null);

export interface SectionDeps {
  factors: FactorsRepository;
  passkeys: PasskeysRepository;
  profiles: ProfilesRepository;
  devices: DevicesRepository;
  loyalty: LoyaltyRepository;
  partners: PartnersRepository;
  audit: AuditRepository;
  oidc: OidcStore;
  privacy: PrivacyStore;
  purposeConsents: PurposeConsentsRepository;
  federatedIdentities: FederatedIdentitiesRepository;
  connections: Pick<ConnectionsRepository, 'find'>;
}

function section(name: string, collect: ExportSection['collect']): ExportSection {
  return { name, collect };
}

/** Sessions as the member would recognise them: when, how, and which apps; never the session id (it is the cookie). */
function describeSession(payload: OidcPayload): ExportValue {
  const authorizations = (payload.authorizations ?? {}) as Record<string, unknown>;
  return {
    signed_in_at: epochIso(payload.loginTs),
    expires_at: epochIso(payload.exp),
    acr: typeof payload.acr === 'string' ? payload.acr : null,
    amr: Array.isArray(payload.amr) ? payload.amr.filter((value): value is string => typeof value === 'string') : [],
    clients: Object.keys(authorizations),
  };
}

function describeGrant(payload: OidcPayload): ExportValue {
  const scopes = ((payload.openid ?? {}) as { scope?: unknown }).scope;
  return {
    client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
    scope: typeof scopes === 'string' ? scopes : '',
    granted_at: epochIso(payload.iat),
    expires_at: epochIso(payload.exp),
  };
}

/** Every kind of data held today, in archive order. */
export function standardSections(deps: SectionDeps): ExportSection[] {
  return [
    section('account', async (account) => ({
      sub: account.id,
      email: account.email,
      email_verified: account.emailVerified,
      phone: account.phone,
      has_password: account.passwordHash !== null,
      created_at: iso(account.createdAt),
      updated_at: iso(account.updatedAt),
      credentials_changed_at: iso(account.credentialsChangedAt),
      contact_changed_at: iso(account.contactChangedAt),
    })),
    section('profile', async (account) => {
      const profile = await deps.profiles.find(account.id);
      return {
        sign_ins: profile.signIns,
        fields: Object.values(profile.fields).map((field) => ({ name: field.name, value: field.value, skipped_at: iso(field.skippedAt), updated_at: iso(field.updatedAt) })),
      };
    }),
    section('verified_contacts', async (account) => [
      { type: 'email', value: account.email, verified: account.emailVerified },
      ...(account.phone ? [{ type: 'phone', value: account.phone, verified: true }] : []),
    ]),
    // Metadata only: never the sealed secret nor the recovery codes' hashes.
    section('factors', async (account) => {
      const codes = await deps.factors.listRecoveryCodes(account.id);
      return {
        authenticator_apps: (await deps.factors.listByAccount(account.id)).map((factor) => ({
          id: factor.id, type: factor.type, label: factor.label, created_at: iso(factor.createdAt), confirmed_at: iso(factor.confirmedAt), last_used_at: iso(factor.lastUsedAt),
        })),
        recovery_codes: { total: codes.length, unused: codes.filter((code) => code.usedAt === null).length },
      };
    }),
    // Not the public key nor the counter: of no use to the member, and the public key would let anyone holding
    // the archive recognise the authenticator's signatures elsewhere.
    section('passkeys', async (account) => (await deps.passkeys.listByAccount(account.id)).map((passkey) => ({
      credential_id: passkey.id, name: passkey.name, device_type: passkey.deviceType, backed_up: passkey.backedUp, transports: passkey.transports,
      created_at: iso(passkey.createdAt), last_used_at: iso(passkey.lastUsedAt),
    }))),
    section('sessions', async (account) => (await deps.oidc.findByAccountId('Session', account.id)).map(({ payload }) => describeSession(payload))),
    // Not the device cookie's hash: it would let the archive be matched against a browser.
    section('devices', async (account) => (await deps.devices.listByAccount(account.id, 100)).map((device) => ({
      first_seen_at: iso(device.firstSeenAt), last_seen_at: iso(device.lastSeenAt), last_ip: device.lastIp, last_country: device.lastCountry, user_agent: device.userAgent,
    }))),
    section('partner_grants', async (account) => {
      const links = await deps.privacy.listPartnerLinks(account.id);
      const partners = [];
      for (const link of links) {
        const partner = await deps.partners.find(link.partnerId);
        partners.push({ partner_id: link.partnerId, partner_name: partner?.name ?? null, subject: link.subject, scope: link.scope, linked_at: iso(link.linkedAt), updated_at: iso(link.updatedAt) });
      }
      return { grants: (await deps.oidc.findByAccountId('Grant', account.id)).map(({ payload }) => describeGrant(payload)), partners };
    }),
    section('ledger', async (account) => {
      const member = await deps.loyalty.findMember(account.id);
      const entries: ExportValue[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await deps.loyalty.listEntries(account.id, { limit: PAGE, ...(before === undefined ? {} : { beforeSequence: before }) });
        for (const entry of page) {
          entries.push({ sequence: entry.sequence, kind: entry.kind, points: entry.points, balance_after: entry.balanceAfter, partner_id: entry.partnerId, reason: entry.reason, created_at: iso(entry.createdAt) });
        }
        if (page.length < PAGE) break;
        before = page[page.length - 1]?.sequence;
      }
      return {
        member: member ? { member_number: member.memberNumber, enrolment_channel: member.enrolmentChannel, balance: member.balance, lifetime_points: member.lifetimePoints, created_at: iso(member.createdAt) } : null,
        entries: entries.reverse(),
      };
    }),
    section('coupons', async (account) => (await deps.privacy.listCouponUses(account.id)).map((use) => ({
      campaign_id: use.campaignId, code: use.code, points: use.points, used_at: iso(use.createdAt),
    }))),
    section('card_claims', async (account) => (await deps.privacy.listClaimedCards(account.id)).map((card) => ({
      card_number: card.cardNumber, name: card.name, email: card.email, phone: card.phone, balance: card.balance, imported_at: iso(card.importedAt), claimed_at: iso(card.claimedAt),
    }))),
    section('access_history', async (account, now) => {
      const from = new Date(now.getTime() - ACCESS_HISTORY_DAYS * 24 * 60 * 60 * 1000);
      const events: ExportValue[] = [];
      let before: { at: Date; id: string } | undefined;
      for (;;) {
        const page = await deps.audit.list({ accountId: account.id, from, limit: PAGE, ...(before ? { before } : {}) });
        for (const event of page) {
          events.push({ type: event.type, at: event.at.toISOString(), ip: event.ip, user_agent: event.userAgent, country: event.country, reason: event.reason });
        }
        const last = page[page.length - 1];
        if (page.length < PAGE || !last) break;
        before = { at: last.at, id: last.id };
      }
      return { days: ACCESS_HISTORY_DAYS, events };
    }),
    // Every grant and refusal of a purpose (and the terms acceptances, purpose `terms`), oldest first: the latest per
    // purpose is the member's current choice.
    section('consents', async (account) => (await deps.purposeConsents.listRecords(account.id)).map((record) => ({
      purpose: record.purpose, version: record.version, granted: record.granted, at: record.at.toISOString(),
      channel: record.channel, client_id: record.clientId, method: record.method, receipt_id: record.receiptId,
    }))),
    // The signed receipts as issued (the JWS verifies against the issuer's JWKS), newest first.
    section('receipts', async (account) => (await deps.purposeConsents.listReceipts(account.id)).map((receipt) => ({
      id: receipt.id, issued_at: receipt.issuedAt.toISOString(), method: receipt.method,
      decisions: receipt.decisions.map(({ purpose, version, granted }) => ({ purpose, version, granted })), jws: receipt.jws,
    }))),
    // Social and enterprise identities linked to the account: which provider, and the subject it knows the member by.
    section('linked_accounts', async (account) => Promise.all((await deps.federatedIdentities.listByAccount(account.id)).map(async (link) => ({
      connection_id: link.connectionId,
      connection_name: (await deps.connections.find(link.connectionId))?.name ?? null,
      subject: link.subject,
      linked_at: link.linkedAt.toISOString(),
    })))),
  ];
}
