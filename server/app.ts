// The HTTP application: oidc-provider's Koa app with our middleware in front, in this order:
// request context → security headers → error handler → health → static → admin API → hosted pages → protocol.
import { fileURLToPath } from 'node:url';
import type Provider from 'oidc-provider';
import { interactionRouter } from '../interactions/router.ts';
import { adminRouter } from './admin/router.ts';
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

export function buildApp(container: Container): App {
  const { provider, config, logger, storage } = container;
  let shuttingDown = false;

  // provider.use() inserts middleware ahead of oidc-provider's own routes.
  provider.use(requestContext(logger, config.trustProxy));
  provider.use(securityHeaders(config.env === 'production'));
  provider.use(errorHandler(logger));
  provider.use(healthRouter(storage, () => shuttingDown).routes());
  provider.use(staticAssets(fileURLToPath(new URL('../public', import.meta.url))));
  const admin = adminRouter({ provider, clients: storage.clients, logger });
  provider.use(admin.routes());
  provider.use(admin.allowedMethods());
  provider.use(interactionRouter(container.interactions).routes());

  return {
    provider,
    setShuttingDown() {
      shuttingDown = true;
    },
  };
}
