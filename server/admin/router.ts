// Admin API (placeholder until the admin routes land).
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { ClientsRepository } from '../domain/clients/clients.repository.ts';

export interface AdminDeps {
  provider: Provider;
  clients: ClientsRepository;
  logger: Logger;
}

export function adminRouter(_deps: AdminDeps): Router {
  return new Router({ prefix: '/admin' });
}
