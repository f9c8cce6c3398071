// The HTTP application: oidc-provider's Koa app with our middleware in front, in this order:
// connection close → HTTP metrics → request context → security headers → discovery/JWKS fast path → error handler → kiosk flow end → our routers by path prefix (health, static, admin API,
// hosted pages, member and partner APIs) → protocol.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Next } from 'koa';
import type Provider from 'oidc-provider';
import { accountRouter } from '../interactions/account/router.ts';
import { interactionRouter } from '../interactions/router.ts';
import { connectionCallbackRouter } from '../interactions/federation/router.ts';
import { samlIdpRouter } from '../interactions/saml-idp/router.ts';
import { unlockRouter } from '../interactions/unlock/router.ts';
import { adminRouter } from './admin/router.ts';
import { DuplicateMembers } from './domain/staff/duplicate-members.ts';
import { MemberSearch } from './domain/staff/member-search.ts';
import { PointsAdjustments } from './domain/staff/points-adjustments.ts';
import { SecurityOverview } from './security/security-overview.ts';
import { MemberSupport } from './domain/staff/member-support.ts';
import { getDefaultLanguage } from './i18n/locales/index.ts';
import { consoleRouter } from '../interactions/console/router.ts';
import { ClientRegistration } from './domain/clients/client-registration.ts';
import { memberApiRouter } from './member-api/router.ts';
import { partnerApiRouter } from './partner-api/router.ts';
import { deviceCodeGuard } from './oidc/koa-device-code-guard.ts';
import { kioskFlowEnd } from './oidc/koa-kiosk-flow-end.ts';
import { kioskHandOffRouter } from '../interactions/kiosk-handoff/router.ts';
import type { Container } from './container.ts';
import { healthRouter } from './health.ts';
import { BRANDING_PATHS, brandingAssets } from './branding/koa-branding-assets.ts';
import { setBranding } from './branding/page-brand.ts';
import { LOGOUT_CONFIRM_PATHS, logoutWayBack, notFoundPage } from './branding/koa-no-dead-ends.ts';
import { HOME_PATHS, homePage } from '../interactions/home/home-page.ts';
import { setDefaultLanguage } from './i18n/locales/index.ts';
import { connectionClose } from './middleware/koa-connection-close.ts';
import { errorHandler } from './middleware/koa-error-handler.ts';
import { pickLanguage } from './middleware/koa-language.ts';
import { metadataCacheControl } from './middleware/koa-metadata-cache.ts';
import { metadataFastPath } from './oidc/koa-metadata-fast-path.ts';
import { pinOriginToIssuer } from './middleware/pin-origin.ts';
import { requestContext } from './middleware/koa-request-context.ts';
import { securityHeaders } from './middleware/koa-security-headers.ts';
import { staticAssets } from './middleware/koa-static.ts';
import { httpMetrics } from './metrics/koa-http-metrics.ts';
import { metricsEndpoint } from './metrics/koa-metrics-endpoint.ts';

export interface App {
  provider: Provider;
  /** Flip readiness off before draining on shutdown. */
  setShuttingDown(): void;
}

type PathMiddleware<C> = (ctx: C, next: Next) => unknown;

/**
 * One middleware in front of oidc-provider for all our routers, each behind the path prefix it serves:
 * every @koa/router runs its matcher on every request it sees, and every middleware in the chain costs a
 * dispatch, so protocol endpoints such as /token pass one prefix test instead of a dozen middlewares.
 * The prefixes never overlap, so at most one router sees a request, and it falls through to the
 * protocol when it has no route for it. The patterns are case-insensitive and allow a trailing slash,
 * like the routers (sensitive and strict off), so they never turn away a request a router would take.
 */
function byPathPrefix<C extends { path: string }>(routes: Array<[RegExp, Array<PathMiddleware<C>>]>): PathMiddleware<C> {
  // Each router's middleware in order, every one free to call the next or answer itself.
  const chain = (middleware: Array<PathMiddleware<C>>): PathMiddleware<C> => middleware.reduceRight<PathMiddleware<C>>(
    (rest, first) => (ctx, next) => first(ctx, () => Promise.resolve(rest(ctx, next))),
    (_ctx, next) => next(),
  );
  const chains = routes.map(([pattern, middleware]) => [pattern, chain(middleware)] as const);
  const anyPrefix = new RegExp(routes.map(([pattern]) => `(?:${pattern.source})`).join('|'), 'i');
  return (ctx, next) => {
    if (!anyPrefix.test(ctx.path)) return next();
    for (const [pattern, chain] of chains) if (pattern.test(ctx.path)) return chain(ctx, next);
    return next();
  };
}

/** Browser libraries served from our origin (no CDN): the WebAuthn helper's prebuilt bundle. */
function browserLibraries(): Record<string, string> {
  // The package exports only its module entry; its bundle sits two folders up from the CommonJS build.
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return { 'simplewebauthn-browser.js': join(dirname(dirname(entry)), 'dist/bundle/index.umd.min.js') };
}

const STATIC_PATHS = /^\/static\//i;
const HEALTH_PATHS = /^\/(?:healthz|readyz)\/?$/i;
const ADMIN_PATHS = /^\/admin(?:\/|$)/i;
const INTERACTION_PATHS = /^\/interaction\//i;
/** Upstream connections' callbacks (issue 16). */
const CONNECTION_PATHS = /^\/connections\//i;
/** Our SAML IdP role for partners' SAML service providers (issue 16 item 5). */
const SAML_IDP_PATHS = /^\/saml\/idp\//i;
const ACCOUNT_PATHS = /^\/account(?:\/|$)/i;
/** The operator console (issue 20). */
const CONSOLE_PATHS = /^\/console(?:\/|$)/i;
const UNLOCK_PATHS = /^\/unlock\//i;
const MEMBER_API_PATHS = /^\/api\/v1\/me(?:\/|$)/i;
const PARTNER_API_PATHS = /^\/partner-api\/v1(?:\/|$)/i;
const DEVICE_PATHS = /^\/device(?:\/[^/]*)?\/?$/i;
const METRICS_PATHS = /^\/metrics\/?$/i;
/** The kiosk's hand-off page (issue 21): QR code and short code of its pending device code. */
const KIOSK_HANDOFF_PATHS = /^\/kiosk\/handoff\/?$/i;

export function buildApp(container: Container): App {
  const { provider, config, logger, storage } = container;
  let shuttingDown = false;

  // provider.use() inserts middleware ahead of oidc-provider's own routes.
  setDefaultLanguage(config.defaultLocale);
  setBranding(config.branding);
  // First, so the request's span covers everything else (and is active for any outbound call below).
  if (container.tracing) provider.use(container.tracing.middleware);
  provider.use(connectionClose(() => shuttingDown));
  // Outside the error handler, so it sees every final status; labels are route templates (koa-http-metrics.ts).
  provider.use(httpMetrics(container.metrics));
  provider.use(requestContext(logger, config.trustProxy));
  provider.use(securityHeaders(config.env === 'production'));
  // Discovery and the JWKS from bodies kept per key set (issue 19): relying parties' polls skip everything below.
  provider.use(metadataFastPath(() => container.signingKeys.version));
  // Before the error handler, so error pages (and emails sent anywhere below) know the page language.
  provider.use(pickLanguage(config.env === 'production', (accountId) => container.interactions.profiles.locale(accountId)));
  provider.use(errorHandler(logger));
  // Inside the error handler: an unknown page gets the 404 page with the way back (server/branding).
  provider.use(notFoundPage());
  provider.use(kioskFlowEnd());
  // Before every router and the protocol: a session cookie from another device or an impossible-travel place
  // is ended here, so nothing below sees it (issue 17 item 8, server/sessions/session-guard.ts).
  provider.use(container.sessionGuard.middleware());
  // Host pinning and metadata caching (issue 14 item 11): absolute URLs name ISSUER whatever Host or
  // X-Forwarded-Host say; discovery and the JWKS carry their own Cache-Control.
  pinOriginToIssuer(provider, config.issuer);
  provider.use(metadataCacheControl());
  // Issue 20: one member search and one adjustments service for the admin API and the operator console.
  const staffSearch = new MemberSearch({ accounts: storage.accounts, loyalty: storage.loyalty, names: storage.memberSearch, defaultCountry: config.sms.defaultCountry });
  const staffAdjustments = new PointsAdjustments({ loyalty: storage.loyalty, staff: storage.staff, audit: container.audit });
  const { interactions } = container;
  const memberSupport = new MemberSupport({
    accounts: storage.accounts, totp: interactions.totp, passkeys: interactions.passkeys, phones: interactions.phones, mailer: interactions.mailer,
    languageOf: async (accountId) => (await interactions.profiles.locale(accountId)) ?? getDefaultLanguage(),
    audit: container.audit, signIns: interactions.signIns, staff: storage.staff, logger,
  });
  const admin = adminRouter({
    provider, clients: storage.clients, partners: storage.partners, importedMembers: storage.importedMembers,
    defaultCountry: config.sms.defaultCountry, logger, audit: container.audit, outbound: container.outbound.partners, signingKeys: container.signingKeys, hooks: container.hooks,
    webhooks: container.webhooks,
    analytics: storage.analytics,
    members: { accounts: storage.accounts, loyalty: storage.loyalty, factors: storage.factors, passkeys: storage.passkeys, exports: container.exports, erasure: container.erasure },
    importJobs: container.importJobs,
    connections: storage.connections, connectionsOutbound: container.outbound.partners, issuer: config.issuer, production: config.env === 'production',
    heldRedemptions: storage.heldRedemptions,
    merges: { accounts: storage.accounts, merges: container.merges },
    consents: { accounts: storage.accounts, purposeConsents: container.purposeConsents },
    // Issue 20: staff tokens, the member search and points adjustments.
    staff: { repository: storage.staff, search: staffSearch, adjustments: staffAdjustments, profiles: storage.profiles },
    memberSupport,
    // Issue 21: likely duplicate members.
    duplicates: new DuplicateMembers({
      duplicates: storage.duplicates, accounts: storage.accounts, loyalty: storage.loyalty,
      // A member merged into another is a tombstone, whatever of its rows a store keeps (a pending Mongo merge).
      isTombstone: async (accountId) => (await storage.merges.findByAbsorbed(accountId)) !== undefined,
    }),
  });
  const account = accountRouter(container.interactions, { issuer: config.issuer, secure: config.env === 'production' });
  const memberApi = memberApiRouter({ provider, issuer: config.issuer, keys: container.signingKeys, accounts: container.accounts, loyalty: container.loyalty, redemptionRisk: container.redemptionRisk, holds: storage.heldRedemptions, events: container.audit, hooks: container.hooks, freezes: storage.staff });
  const partnerApi = partnerApiRouter({ provider, issuer: config.issuer, keys: container.signingKeys, accounts: container.accounts, loyalty: container.loyalty, links: container.partnerLinks, coupons: container.coupons, rateLimits: storage.rateLimits, purposeConsents: container.purposeConsents, merges: container.merges });
  provider.use(byPathPrefix([
    [HEALTH_PATHS, [healthRouter(storage, () => shuttingDown, logger).routes()]],
    // Bearer METRICS_TOKEN, or a scraper on this host (koa-metrics-endpoint.ts); no page rate limits apply here.
    [METRICS_PATHS, [metricsEndpoint(container.metrics, config.metricsToken)]],
    // The home page at `/` (issue 15 item 7); discovery and every other path are untouched.
    [HOME_PATHS, [homePage()]],
    // The operator's logo and colours, and partner logos fetched by us (server/branding).
    [BRANDING_PATHS, [brandingAssets(container.partnerLogos, async (clientId) => (await provider.Client.find(clientId)) ?? undefined)]],
    [STATIC_PATHS, [staticAssets(fileURLToPath(new URL('../public', import.meta.url)), '/static/', browserLibraries())]],
    [ADMIN_PATHS, [admin.routes(), admin.allowedMethods()]],
    [INTERACTION_PATHS, [interactionRouter(container.interactions).routes()]],
    [CONNECTION_PATHS, [connectionCallbackRouter(container.interactions).routes()]],
    [SAML_IDP_PATHS, [samlIdpRouter(container.interactions, container.samlIdp).routes()]],
    [ACCOUNT_PATHS, [account.routes()]],
    [CONSOLE_PATHS, [consoleRouter(container.interactions, {
      staff: storage.staff, accounts: storage.accounts, loyalty: storage.loyalty, profiles: storage.profiles, factors: storage.factors, passkeys: storage.passkeys,
      search: staffSearch, adjustments: staffAdjustments,
      partnerPages: { partners: storage.partners, clients: storage.clients, coupons: storage.coupons, registration: new ClientRegistration({ provider, clients: storage.clients, partners: storage.partners, outbound: container.outbound.partners }) },
      analytics: storage.analytics,
      security: new SecurityOverview({ store: storage.rateLimits, settings: config.attackProtection, audit: container.audit, accounts: storage.accounts }),
      support: { actions: memberSupport, privacy: storage.privacy, loyalty: storage.loyalty },
      merge: { merges: container.merges, accounts: storage.accounts, loyalty: storage.loyalty },
    }, { issuer: config.issuer, secure: config.env === 'production' }).routes()]],
    [UNLOCK_PATHS, [unlockRouter(container.interactions).routes()]],
    [MEMBER_API_PATHS, [memberApi.routes(), memberApi.allowedMethods()]],
    [PARTNER_API_PATHS, [partnerApi.routes()]],
    // The signed-out page after a client's logout knows the client, for the way back to its site.
    [LOGOUT_CONFIRM_PATHS, [logoutWayBack('/session/end/success')]],
    [KIOSK_HANDOFF_PATHS, [kioskHandOffRouter({ provider, issuer: config.issuer }).routes()]],
    // Before oidc-provider's code_verification: guess limits and the session check (issue 14 items 9, 23).
    [DEVICE_PATHS, [deviceCodeGuard(storage.rateLimits, async (id) => (await provider.Session.find(id)) !== undefined)]],
  ]));

  return {
    provider,
    setShuttingDown() {
      shuttingDown = true;
    },
  };
}
