// oidc-provider Configuration: features, TTLs, claims, keys, adapter and the pages it renders itself.
import type { Configuration, KoaContextWithOIDC, Session } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AdapterConstructor } from '../adapters/oidc-adapter.ts';
import type { AccountService } from '../server/domain/accounts/account-service.ts';
import type { PurposeConsentService } from '../server/domain/consent/purpose-consent-service.ts';
import type { LoyaltyService } from '../server/domain/loyalty/loyalty-service.ts';
import type { PartnerLinks } from '../server/domain/partners/partner-links.ts';
import type { ProfileService } from '../server/domain/profile/profile-service.ts';
import { SUPPORTED_LANGUAGES } from '../server/i18n/locales/index.ts';
import type { PrivateJwk } from '../server/domain/keys/key-service.ts';
import type { OutboundClient, OutboundInit } from '../server/security/outbound/outbound-fetch.ts';
import type { HookRunner } from '../server/hooks/hook-runner.ts';
import { accountConsoleClient } from './account-console-client.ts';
import { staffConsoleClient } from './staff-console-client.ts';
import { ACR } from './assurance.ts';
import { interactionPolicy } from './interaction-policy.ts';
import { loadFirstPartyGrant } from './first-party-grant.ts';
import { loadRememberedGrant } from './remembered-consent.ts';
import type { ConsentsRepository } from '../server/domain/consent/consents.repository.ts';
import { pairwiseSubject, sectorOf } from './pairwise.ts';
import { providerPages } from '../server/views/provider-pages.ts';
import { isKioskClient, kioskServerIdleSeconds } from '../server/oidc/kiosk-client.ts';
import { HANDOFF_ACCESS_TOKEN_SECONDS, handOffDeviceInfo, isHandOffSource, isHandOffToken, withHandOffDeviceCodes } from '../server/oidc/kiosk-handoff.ts';
import { clientMetadata } from '../server/oidc/client-metadata.ts';
import { CookieSigner } from '../server/security/cookie-signer.ts';

export { ACR } from './assurance.ts';

/** Scopes a member can grant, and the claims each releases. `admin` is for client credentials only. */
export const CLAIMS = {
  // acr/amr/auth_time ride with openid so every ID token says how and when the member authenticated:
  // partners decide on step-up from them.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  // Every scope's claims ride in the ID token as well as userinfo (conformIdTokenClaims off below), so
  // relying parties that read only the ID token (Auth.js and others) get them, as with Auth0 and Keycloak.
  loyalty: ['member_number', 'tier', 'points_balance', 'favourite_store'],
  profile: ['given_name', 'family_name', 'birthdate', 'locale', 'updated_at'],
  address: ['address'],
  // Issue 17: the member's purpose consents, {purpose: {granted, version, time}}.
  consents: ['consents'],
} as const;

export const ADMIN_SCOPE = 'admin';
/** A member's own access token with this scope may redeem points (after a recent two-factor sign-in). */
export const REDEEM_SCOPE = 'loyalty:redeem';
/**
 * The member API (/api/v1/me) as a resource server: its resource indicator and the `aud` of its JWT access
 * tokens. Only clients whose allowed_resources list it get tokens for it, carrying only MEMBER_API_SCOPES.
 */
export const memberApiResource = (issuer: string): string => `${issuer}/api/member`;
export const MEMBER_API_SCOPES = ['loyalty', REDEEM_SCOPE] as const;
/** Partner back ends (client credentials, resource indicator for the partner API). */
// consents:write: a partner records a consent its counter collected (issue 17; POST /members/{sub}/consents).
export const PARTNER_SCOPES = ['loyalty:earn', 'members:read', 'consents:write'] as const;
const LOYALTY_CLAIMS: readonly string[] = CLAIMS.loyalty;
/** Claims that come from the progressive profile (config/profile-fields.ts). */
const PROFILE_CLAIMS: readonly string[] = ['given_name', 'family_name', 'birthdate', 'address', 'favourite_store'];
/** Where members sign up through a client: recorded on the member (client metadata enrolment_channel). */
export const ENROLMENT_CHANNELS = ['web', 'app', 'kiosk', 'partner'] as const;

/** Introspection and revocation policy: the calling client must be the one the token was issued to. */
function ownTokensOnly(_ctx: KoaContextWithOIDC, client: { clientId: string }, token: { clientId?: string | undefined }): boolean {
  return token.clientId === client.clientId;
}

/** The pre-token hook for a client credentials token: its namespaced claims, or access_denied when it refuses. */
async function clientCredentialsClaims(
  hooks: Pick<HookRunner, 'preToken'>,
  token: { clientId: string; scope?: string | undefined; partnerId: string | null; resource?: unknown },
): Promise<Record<string, unknown> | undefined> {
  const result = await hooks.preToken({ client_id: token.clientId, partner_id: token.partnerId, scope: token.scope ?? '', resource: typeof token.resource === 'string' ? token.resource : null });
  if (result.decision === 'deny') throw new errors.AccessDenied('the token request was refused');
  return Object.keys(result.claims).length ? result.claims : undefined;
}

export interface ProviderDeps {
  production: boolean;
  issuer: string;
  adapter: AdapterConstructor;
  jwks: PrivateJwk[];
  cookieKeys: string[];
  pairwiseSalt: Buffer;
  dpopNonceSecret: Buffer;
  accounts: AccountService;
  loyalty: LoyaltyService;
  profiles: ProfileService;
  /** Remembers which partner a member signed in to (for the partner API). */
  partnerLinks: PartnerLinks;
  /** What each member consented to share with each client, past sessions and devices. */
  consents: ConsentsRepository;
  /** For the step-up policy: phr is reachable only for members with a passkey. */
  hasPasskey(accountId: string): Promise<boolean>;
  /** For the erasure prompt: whether the account is scheduled for deletion. */
  erasureScheduled(accountId: string): Promise<boolean>;
  /** Issue 17: purpose consents (the consents claim, the purposes and terms prompts, required_purposes). */
  purposeConsents?: PurposeConsentService;
  /** The SSRF-safe client for URLs clients registered (back-channel logout, jwks_uri, sector_identifier_uri). */
  outbound: Pick<OutboundClient, 'fetch'>;
  /** Resource servers that accept only RS256 access tokens; every other resource gets ES256. */
  rs256Resources: readonly string[];
  /** ttl.Session: the time left of the sign-in's lifetime (server/sessions/session-guard.ts). */
  sessionTtl(ctx: KoaContextWithOIDC, session: Session): number;
  logger: Logger;
  /** KIOSK_IDLE_SECONDS: the lifetime of a kiosk sign-in's session, renewed by each of its pages. */
  kioskIdleSeconds: number;
  /** Issue 18: a post-login hook's claims in that client's access tokens; the pre-token hook for client credentials. */
  hooks?: Pick<HookRunner, 'preToken' | 'claimsFor'> & Partial<Pick<HookRunner, 'knownNone'>>;
}

export function providerConfiguration(deps: ProviderDeps): Configuration {
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: deps.production, signed: true };
  return {
    // Issue 21: a kiosk hand-off's approval records "hand-off" in its amr; expired device codes answer expired_token
    // (server/oidc/kiosk-handoff.ts).
    adapter: withHandOffDeviceCodes(deps.adapter),
    // Every request oidc-provider makes goes through our outbound client: its own guard (the `dispatcher` it
    // puts in `init`, ignored here) cannot be set up under jest's VM modules, so tests ran unguarded, and it
    // refuses loopback receivers even in development. Ours: loopback outside production only, never private.
    fetch: (input, init) => deps.outbound.fetch(input instanceof URL || typeof input === 'string' ? input : input.url, init as OutboundInit),
    jwks: { keys: deps.jwks as unknown as NonNullable<Configuration['jwks']>['keys'] },
    // CookieSigner, not an array (which `cookies` turns into a keygrip per request): same signatures, ~10x cheaper checks.
    cookies: { keys: new CookieSigner(deps.cookieKeys), long: cookieOptions, short: cookieOptions },
    acrValues: Object.values(ACR),
    claims: { ...CLAIMS },
    // Every language with a catalogue: relying parties may ask for any of them with ui_locales.
    discovery: { ui_locales_supported: [...SUPPORTED_LANGUAGES], claims_locales_supported: [...SUPPORTED_LANGUAGES] },
    // ID tokens carry the claims of the granted scopes, not only those asked for by the claims parameter.
    conformIdTokenClaims: false,
    // `code` for relying parties; `none` only for the built-in account console client (discovery lists
    // only `code`: server/oidc/koa-discovery-response-types.ts). No implicit or hybrid flows.
    responseTypes: ['code', 'none'],
    scopes: ['openid', 'offline_access', ...Object.keys(CLAIMS).filter((s) => s !== 'openid'), REDEEM_SCOPE, ...PARTNER_SCOPES, ADMIN_SCOPE],
    // How and when the member authenticated travels with each access token, so APIs (redemption) can
    // demand a recent strong sign-in (RFC 9470) without a session.
    async extraTokenClaims(ctx, token) {
      if (token.kind === 'ClientCredentials') {
        // No pre-token hook (the usual case): nothing to ask, and no call body to build for every partner token.
        if (!deps.hooks || deps.hooks.knownNone?.('pre-token')) return undefined;
        const partnerId = (ctx?.oidc?.client ? (clientMetadata(ctx.oidc.client) as { partner_id?: unknown }) : undefined)?.partner_id;
        return clientCredentialsClaims(deps.hooks, { clientId: String(token.clientId), scope: token.scope, partnerId: typeof partnerId === 'string' ? partnerId : null, resource: token.resourceServer?.audience });
      }
      if (token.kind !== 'AccessToken') return undefined;
      // ctx is absent when a token is minted outside a request (tests, scripts).
      const { AuthorizationCode: code, RefreshToken: refresh, DeviceCode: device } = ctx?.oidc?.entities ?? {};
      const source = code ?? refresh ?? device;
      if (!source) return undefined;
      // Member-API tokens are JWTs, not stored: the grant they came from lets the API find the member (their
      // `sub` may be pairwise) and refuse them once the grant is gone (password reset, revocation).
      const forMemberApi = token.resourceServer?.audience === memberApiResource(deps.issuer);
      // A post-login hook's namespaced claims for this member at this client (kept across refreshes).
      const hookClaims = deps.hooks && token.accountId && token.clientId ? await deps.hooks.claimsFor(token.accountId, token.clientId) : undefined;
      return { ...hookClaims, acr: source.acr, amr: source.amr, auth_time: source.authTime, ...(forMemberApi ? { grant_id: token.grantId } : {}) };
    },
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier(_ctx, accountId, client) {
      // One stable, unlinkable subject per sector: partners cannot join their member lists on `sub`.
      return pairwiseSubject(deps.pairwiseSalt, sectorOf(client), accountId);
    },
    clients: [accountConsoleClient(deps.issuer), staffConsoleClient(deps.issuer)],
    clientBasedCORS: () => true,
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: {
      properties: ['first_party', 'require_mfa', 'allowed_resources', 'enrolment_channel', 'partner_id', 'required_claims', 'connections', 'saml_sp', 'required_purposes'],
      validator(_ctx, key, value) {
        if ((key === 'first_party' || key === 'require_mfa') && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
        }
        // `email` too (issue 21): a phone-first member is asked for one by the email prompt.
        if (key === 'required_claims' && value !== undefined && !(Array.isArray(value) && value.every((claim) => typeof claim === 'string' && (claim === 'email' || deps.profiles.fieldSpec(claim))))) {
          throw new errors.InvalidClientMetadata('required_claims must list declared profile fields');
        }
        if (key === 'required_purposes' && value !== undefined && !(Array.isArray(value) && value.length <= 20 && value.every((id) => typeof id === 'string' && deps.purposeConsents?.purpose(id)))) {
          throw new errors.InvalidClientMetadata('required_purposes must list purposes of the catalogue');
        }
        if (key === 'connections' && value !== undefined && !(Array.isArray(value) && value.length <= 50 && value.every((id) => typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id)))) {
          throw new errors.InvalidClientMetadata('connections must list connection ids');
        }
        // A partner's SAML SP riding on this client (server/admin/saml-service-provider-handlers.ts checks its shape).
        if (key === 'saml_sp' && value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
          throw new errors.InvalidClientMetadata('saml_sp must be an object');
        }
        if (key === 'partner_id' && value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(value))) {
          throw new errors.InvalidClientMetadata('partner_id must be a partner id');
        }
        if (key === 'enrolment_channel' && value !== undefined && !(ENROLMENT_CHANNELS as readonly unknown[]).includes(value)) {
          throw new errors.InvalidClientMetadata(`enrolment_channel must be one of ${ENROLMENT_CHANNELS.join(', ')}`);
        }
        if (key === 'allowed_resources' && value !== undefined) {
          const ok = Array.isArray(value) && value.every((v) => typeof v === 'string' && URL.canParse(v));
          if (!ok) throw new errors.InvalidClientMetadata('allowed_resources must be an array of absolute URIs');
        }
      },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
      userinfoSigningAlgValues: ['RS256', 'ES256', 'EdDSA'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'RS256', 'PS256'],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A client learns about, and can end, only the tokens issued to it. oidc-provider's default lets any
      // confidential client introspect every token (one partner reading another's members' tokens) and
      // answers a foreign revocation with an error that confirms the token exists; this answers both as
      // for an unknown token (active: false; 200 with nothing revoked).
      introspection: { enabled: true, allowedPolicy: ownTokensOnly },
      revocation: { enabled: true, allowedPolicy: ownTokensOnly },
      claimsParameter: { enabled: true },
      backchannelLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      dPoP: { enabled: true, nonceSecret: deps.dpopNonceSecret },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: providerPages.userCodeInput,
        userCodeConfirmSource: providerPages.userCodeConfirm,
        successSource: providerPages.deviceSuccess,
        // Marks a kiosk client's device codes as hand-offs (issue 21).
        deviceInfo: handOffDeviceInfo,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: providerPages.logoutConfirm,
        postLogoutSuccessSource: providerPages.logoutSuccess,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resourceIndicator, client) {
          const allowed = (clientMetadata(client) as { allowed_resources?: string[] }).allowed_resources ?? [];
          if (!allowed.includes(resourceIndicator)) throw new errors.InvalidTarget('resource not allowed for this client');
          const memberApi = resourceIndicator === memberApiResource(deps.issuer);
          // The member API serves members: a client's own (client credentials) token has no member to serve.
          if (memberApi && ctx.oidc.params?.grant_type === 'client_credentials') throw new errors.InvalidTarget('the member API takes member tokens only');
          const scope = (client.scope ?? '').split(' ').filter((s) => s && s !== ADMIN_SCOPE && s !== 'openid' && s !== 'offline_access')
            .filter((s) => !memberApi || (MEMBER_API_SCOPES as readonly string[]).includes(s));
          return {
            audience: resourceIndicator,
            scope: scope.join(' '),
            accessTokenTTL: 15 * 60,
            accessTokenFormat: 'jwt',
            // ES256 signs in a fraction of RS256's time (RSA-2048 private-key operations dominated JWT issuance);
            // resource servers stuck on RS256 are listed by the operator.
            jwt: { sign: { alg: deps.rs256Resources.includes(resourceIndicator) ? 'RS256' : 'ES256' } },
          };
        },
      },
    },
    pkce: {
      // Public clients (mobile apps, SPAs) must use PKCE; confidential clients may.
      required: (_ctx, client) => client.clientAuthMethod === 'none',
    },
    rotateRefreshToken: true,
    // A kiosk hand-off is one visit: no refresh token, even with offline_access (issue 21). Otherwise oidc-provider's rule.
    issueRefreshToken: (ctx, client, source) => !isHandOffSource(client, source) && client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access'),
    // A kiosk's session ends with its flow (server/oidc/koa-kiosk-flow-end.ts), before the kiosk app
    // redeems its code: its codes and tokens do not die with that session. Others keep the default.
    expiresWithSession: (ctx, source) => !isKioskClient(ctx.oidc.client) && !source.scopes.has('offline_access'),
    ttl: {
      AccessToken: (ctx, token) => {
        const ttl = token.resourceServer?.accessTokenTTL ?? 15 * 60;
        return isHandOffToken(ctx?.oidc?.client, token) ? Math.min(ttl, HANDOFF_ACCESS_TOKEN_SECONDS) : ttl;
      },
      AuthorizationCode: 60,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 10 * 60,
      DeviceCode: 10 * 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      RefreshToken: 30 * 24 * 60 * 60,
      // Kiosk sign-ins are transient (remember: false, a browser-session cookie): their server session ends after
      // KIOSK_IDLE_SECONDS without a page (interactions/shared/koa-kiosk-mode.ts renews it). The others last from
      // the sign-in, long on a known device and short otherwise (SESSION_TTL_*; server/sessions/session-guard.ts).
      Session: (ctx, session) => (session.transient ? kioskServerIdleSeconds(deps.kioskIdleSeconds) : deps.sessionTtl(ctx, session)),
      Grant: 30 * 24 * 60 * 60,
    },
    interactions: {
      policy: interactionPolicy({
        hasPasskey: deps.hasPasskey,
        profileDue: async (accountId, request) => (await deps.profiles.due(accountId, request)).length > 0,
        erasureScheduled: deps.erasureScheduled,
        purposesDue: async (accountId, wanted) => ((await deps.purposeConsents?.unanswered(accountId, wanted)) ?? []).length > 0,
        termsDue: async (accountId) => (await deps.purposeConsents?.termsDue(accountId)) ?? false,
        emailMissing: async (accountId) => (await deps.accounts.findById(accountId))?.email === null,
      }),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async loadExistingGrant(ctx) {
      const grant = (await loadFirstPartyGrant(ctx)) ?? (await loadRememberedGrant(ctx, deps.consents));
      // Awaited here, before any code or token goes out: a partner never holds a sub it cannot use.
      if (grant && ctx.oidc.client && grant.accountId) await deps.partnerLinks.record(ctx.oidc.client, grant.accountId, grant.getOIDCScope());
      return grant;
    },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      const account = await deps.accounts.findById(sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        // `requested`: what the claims parameter asks for this use (id_token or userinfo).
        async claims(_use: string, scope: string, requested: Record<string, unknown>) {
          const askedByClaims = Object.keys(requested ?? {}).some((claim) => LOYALTY_CLAIMS.includes(claim));
          const scopes = scope.split(' ');
          const loyalty = scopes.includes('loyalty') || askedByClaims ? await deps.loyalty.claims(account.id) : {};
          const wantsProfile = ['profile', 'address', 'loyalty'].some((s) => scopes.includes(s)) || Object.keys(requested ?? {}).some((c) => PROFILE_CLAIMS.includes(c));
          const profile = wantsProfile ? await deps.profiles.claims(account.id) : {};
          const consents = deps.purposeConsents && (scopes.includes('consents') || Object.hasOwn(requested ?? {}, 'consents')) ? { consents: await deps.purposeConsents.claim(account.id) } : {};
          return {
            ...profile,
            ...consents,
            ...loyalty,
            sub: account.id,
            // A phone-first member has no email: the claim is absent (never null or empty).
            ...(account.email !== null ? { email: account.email, email_verified: account.emailVerified } : {}),
            // Only proven numbers are stored, so a number present is a verified one.
            ...(account.phone ? { phone_number: account.phone, phone_number_verified: true } : {}),
            updated_at: Math.floor(account.updatedAt.getTime() / 1000),
          };
        },
      };
    },
    /**
     * oidc-provider's rule (revoking an access token leaves the grant; anything else ends it), plus: a
     * client revoking a member's refresh token is the member withdrawing that client's access, so the
     * remembered consent goes too and the next sign-in asks again. Logout ends grants but keeps consent.
     * Awaited by oidc-provider before it answers, unlike its grant.revoked event.
     */
    async revokeGrantPolicy(ctx) {
      if (ctx.oidc.route !== 'revocation') return true;
      if (ctx.oidc.entities.AccessToken) return false;
      const token = ctx.oidc.entities.RefreshToken;
      if (token?.accountId && token.clientId) await deps.consents.delete(token.accountId, token.clientId);
      return true;
    },
    renderError: providerPages.error,
  };
}
