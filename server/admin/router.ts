// Admin API under /admin: JSON, authorized by the bootstrap admin client's client-credentials tokens.
// Order per route: require-admin-token → parse-json-body → handler (guard before logic).
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { ClientsRepository } from '../domain/clients/clients.repository.ts';
import { DomainError } from '../domain/errors.ts';
import type { ImportedMembersRepository } from '../domain/loyalty/imported-members.repository.ts';
import type { PartnersRepository } from '../domain/partners/partners.repository.ts';
import { clientHandlers } from './client-handlers.ts';
import { importedMemberHandlers } from './imported-member-handlers.ts';
import { partnerHandlers } from './partner-handlers.ts';
import { jsonBody } from '../middleware/koa-json-body.ts';
import { requireAdminToken } from './koa-require-admin-token.ts';
import { openApiDocument } from './openapi.ts';

export interface AdminDeps {
  provider: Provider;
  clients: ClientsRepository;
  partners: PartnersRepository;
  importedMembers: ImportedMembersRepository;
  /** SMS_DEFAULT_COUNTRY: reads national phone numbers in imported records. */
  defaultCountry: string | undefined;
  logger: Logger;
}

/**
 * Admin responses are never cached (they carry secrets), and every authorized change is a security
 * event: which client did what, and the outcome (failures included). Never the token or the body.
 */
function auditAdminActions(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    let status = 0;
    try {
      await next();
      status = ctx.status;
    } catch (error) {
      status = (error as { status?: number }).status ?? 500;
      throw error;
    } finally {
      if (ctx.method !== 'GET' && ctx.state.adminClientId) {
        logger.info({ requestId: ctx.state.requestId, adminClientId: ctx.state.adminClientId, method: ctx.method, path: ctx.path, status }, 'admin action');
      }
    }
  };
}

export function adminRouter(deps: AdminDeps): Router {
  const router = new Router({ prefix: '/admin' });
  const auth = requireAdminToken(deps.provider);
  const json = jsonBody();
  const clients = clientHandlers(deps);
  const partners = partnerHandlers(deps.partners);
  const importedMembers = importedMemberHandlers(deps.importedMembers, deps.defaultCountry);
  const document = openApiDocument();

  router.use(auditAdminActions(deps.logger));

  // Public: describing the API reveals nothing a token would protect.
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  router.post('/clients', auth, json, clients.create);
  router.get('/clients', auth, clients.list);
  router.get('/clients/:id', auth, clients.read);
  router.put('/clients/:id', auth, json, clients.replace);
  router.delete('/clients/:id', auth, clients.remove);
  router.post('/clients/:id/secret', auth, clients.rotateSecret);
  router.post('/partners', auth, json, partners.create);
  router.get('/partners', auth, partners.list);
  router.get('/partners/:id', auth, partners.read);
  // Up to 1,000 records a request: a larger body than the other routes take.
  router.post('/imported-members', auth, jsonBody('1mb'), importedMembers.importMany);
  // Anything else under /admin is ours too: a JSON 404 rather than falling through to oidc-provider.
  router.all('{/*rest}', () => {
    throw new DomainError('not_found', 'no such admin endpoint');
  });
  return router;
}
