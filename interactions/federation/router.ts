// The fixed callback per connection (the redirect URI registered at the upstream), outside the interaction path.
import Router from '@koa/router';
import type { InteractionDeps } from '../shared/deps.ts';
import { federationHandlers } from './handlers.ts';

export function connectionCallbackRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/connections' });
  router.get('/:id/callback', federationHandlers(deps).callback);
  return router;
}
