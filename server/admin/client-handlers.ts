// Admin API handlers for OIDC clients: create, list, read, replace, delete, rotate secret. The rules live in
// server/domain/clients/client-registration.ts, shared with the operator console.
import type { Context } from 'koa';
import type { StoredClient } from '../domain/clients/clients.repository.ts';
import { ClientRegistration, type ClientRegistrationDeps, type RegistrationCaller } from '../domain/clients/client-registration.ts';
import { DomainError } from '../domain/errors.ts';

export type ClientHandlerDeps = ClientRegistrationDeps;

function invalid(fields: Record<string, string>, message = 'invalid client metadata'): DomainError {
  return new DomainError('invalid_input', message, { details: { fields } });
}

/** Secrets leave the server only in the responses of create and rotate. */
function publicView(client: StoredClient): Record<string, unknown> {
  const { client_secret: _secret, ...metadata } = client.metadata;
  return { ...metadata, created_at: client.createdAt.toISOString(), updated_at: client.updatedAt.toISOString() };
}

function callerOf(ctx: Context): RegistrationCaller {
  return { adminClientId: typeof ctx.state.adminClientId === 'string' ? ctx.state.adminClientId : undefined };
}

export function clientHandlers(deps: ClientHandlerDeps) {
  const registration = new ClientRegistration(deps);
  return {
    async create(ctx: Context) {
      const { client, secret } = await registration.create(ctx.request.body, callerOf(ctx));
      ctx.status = 201;
      ctx.set('Location', `/admin/clients/${encodeURIComponent(client.clientId)}`);
      ctx.body = { ...publicView(client), ...(secret ? { client_secret: secret } : {}) };
    },

    async list(ctx: Context) {
      // A repeated parameter (?limit=1&limit=2) arrives as an array: refused rather than silently defaulted.
      const limitText = ctx.query.limit ?? '50';
      const limit = Number(limitText);
      if (typeof limitText !== 'string' || !/^\d+$/.test(limitText) || limit < 1 || limit > 100) throw invalid({ limit: 'must be a whole number from 1 to 100' });
      if (Array.isArray(ctx.query.after)) throw invalid({ after: 'give one cursor' });
      const after = ctx.query.after || undefined;
      // One extra row tells whether another page exists, so `next` is null on the last page.
      const page = await deps.clients.list({ limit: limit + 1, after });
      const items = page.slice(0, limit);
      ctx.body = { items: items.map(publicView), next: page.length > limit ? items.at(-1)!.clientId : null };
    },

    async read(ctx: Context) {
      ctx.body = publicView(await registration.existing(String(ctx.params.id)));
    },

    async replace(ctx: Context) {
      ctx.body = publicView(await registration.replace(String(ctx.params.id), ctx.request.body, callerOf(ctx)));
    },

    async remove(ctx: Context) {
      await registration.remove(String(ctx.params.id), callerOf(ctx));
      ctx.status = 204;
    },

    async rotateSecret(ctx: Context) {
      const { clientId, secret } = await registration.rotateSecret(String(ctx.params.id), callerOf(ctx));
      ctx.body = { client_id: clientId, client_secret: secret };
    },
  };
}
