// The HTTP application: oidc-provider's Koa app with our middleware in front, in this order:
// request context → security headers → error handler → health → static → admin API → hosted pages → protocol.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Next } from 'koa';
import type Provider from 'oidc-provider';
import { accountRouter } from '../interactions/account/router.ts';
import { interactionRouter } from '../interactions/router.ts';
import { unlockRouter } from '../interactions/unlock/router.ts';
import { adminRouter } from './admin/router.ts';
import { memberApiRouter } from './member-api/router.ts';
import { partnerApiRouter } from './partner-api/router.ts';
import type { Container } from './container.ts';
import { healthRouter } from './health.ts';
import { errorHandler } from './middleware/koa-error-handler.ts';
import { requestContext } from './middleware/koa-request-context.ts';
import { securityHeaders } from './middleware/koa-security-headers.ts';
import { staticAssets } from './middleware/koa-static.ts';

export interface App {
  provider: Provider;
  /** Flip readiness off before draining on shutdown. */
  setShuttingDown(): void;
}

/**
 * Runs `middleware` only for paths `pattern` matches. Each @koa/router runs its matcher on every request
 * it sees; gating them on a cheap prefix test keeps protocol endpoints such as /token out of all three.
 * The patterns are case-insensitive and allow a trailing slash, like the routers (sensitive and strict
 * off), so they never turn away a request the router would have taken.
 */
function onPaths<C extends { path: string }>(pattern: RegExp, middleware: (ctx: C, next: Next) => unknown) {
  return (ctx: C, next: Next) => (pattern.test(ctx.path) ? middleware(ctx, next) : next());
}

/** Browser libraries served from our origin (no CDN): the WebAuthn helper's prebuilt bundle. */
function browserLibraries(): Record<string, string> {
  // The package exports only its module entry; its bundle sits two folders up from the CommonJS build.
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return { 'simplewebauthn-browser.js': join(dirname(dirname(entry)), 'dist/bundle/index.umd.min.js') };
}

const HEALTH_PATHS = /^\/(?:healthz|readyz)\/?$/i;
const ADMIN_PATHS = /^\/admin(?:\/|$)/i;
const INTERACTION_PATHS = /^\/interaction\//i;
const ACCOUNT_PATHS = /^\/account(?:\/|$)/i;
const UNLOCK_PATHS = /^\/unlock\//i;
const MEMBER_API_PATHS = /^\/api\/v1\/me(?:\/|$)/i;
const PARTNER_API_PATHS = /^\/partner-api\/v1(?:\/|$)/i;

export function buildApp(container: Container): App {
  const { provider, config, logger, storage } = container;
  let shuttingDown = false;

  // provider.use() inserts middleware ahead of oidc-provider's own routes.
  provider.use(requestContext(logger, config.trustProxy));
  provider.use(securityHeaders(config.env === 'production'));
  provider.use(errorHandler(logger));
  provider.use(onPaths(HEALTH_PATHS, healthRouter(storage, () => shuttingDown).routes()));
  provider.use(staticAssets(fileURLToPath(new URL('../public', import.meta.url)), '/static/', browserLibraries()));
  const admin = adminRouter({
    provider, clients: storage.clients, partners: storage.partners, importedMembers: storage.importedMembers,
    defaultCountry: config.sms.defaultCountry, logger, audit: container.audit,
  });
  provider.use(onPaths(ADMIN_PATHS, admin.routes()));
  provider.use(onPaths(ADMIN_PATHS, admin.allowedMethods()));
  provider.use(onPaths(INTERACTION_PATHS, interactionRouter(container.interactions).routes()));
  const account = accountRouter(container.interactions, { issuer: config.issuer, secure: config.env === 'production' });
  provider.use(onPaths(ACCOUNT_PATHS, account.routes()));
  provider.use(onPaths(UNLOCK_PATHS, unlockRouter(container.interactions).routes()));
  const memberApi = memberApiRouter({ provider, accounts: container.accounts, loyalty: container.loyalty, risk: container.risk, events: container.audit });
  provider.use(onPaths(MEMBER_API_PATHS, memberApi.routes()));
  provider.use(onPaths(MEMBER_API_PATHS, memberApi.allowedMethods()));
  const partnerApi = partnerApiRouter({ provider, issuer: config.issuer, jwks: container.jwks, accounts: container.accounts, loyalty: container.loyalty, links: container.partnerLinks, coupons: container.coupons, rateLimits: storage.rateLimits });
  provider.use(onPaths(PARTNER_API_PATHS, partnerApi.routes()));

  return {
    provider,
    setShuttingDown() {
      shuttingDown = true;
    },
  };
}
