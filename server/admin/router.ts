// Admin API under /admin: JSON, authorized by the bootstrap admin client's client-credentials tokens.
// Order per route: require-admin-token → parse-json-body → handler (guard before logic).
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { ClientsRepository } from '../domain/clients/clients.repository.ts';
import { DomainError } from '../domain/errors.ts';
import { clientHandlers } from './client-handlers.ts';
import { jsonBody } from './koa-json-body.ts';
import { requireAdminToken } from './koa-require-admin-token.ts';
import { openApiDocument } from './openapi.ts';

export interface AdminDeps {
  provider: Provider;
  clients: ClientsRepository;
  logger: Logger;
}

export function adminRouter(deps: AdminDeps): Router {
  const router = new Router({ prefix: '/admin' });
  const auth = requireAdminToken(deps.provider);
  const json = jsonBody();
  const clients = clientHandlers(deps);
  const document = openApiDocument();

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
    // Admin actions are security events: who (client) did what (method, path) and the outcome.
    if (ctx.method !== 'GET' && ctx.state.adminClientId) {
      deps.logger.info({ requestId: ctx.state.requestId, adminClientId: ctx.state.adminClientId, method: ctx.method, path: ctx.path, status: ctx.status }, 'admin action');
    }
  });

  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  router.post('/clients', auth, json, clients.create);
  router.get('/clients', auth, clients.list);
  router.get('/clients/:id', auth, clients.read);
  router.put('/clients/:id', auth, json, clients.replace);
  router.delete('/clients/:id', auth, clients.remove);
  router.post('/clients/:id/secret', auth, clients.rotateSecret);
  router.all('/{*rest}', () => {
    throw new DomainError('not_found', 'no such admin endpoint');
  });
  return router;
}
