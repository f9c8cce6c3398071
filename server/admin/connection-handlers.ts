// Admin API handlers for connections (upstream identity providers): create, list, read, patch, delete.
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { z } from 'zod';
import { connectionInput, GOOGLE_ISSUER, oidcConnectionPatch, oidcConnectionSettings, type OidcConnectionSettings } from '../domain/connections/connection-settings.ts';
import type { ConnectionsRepository, StoredConnection } from '../domain/connections/connections.repository.ts';
import { discoverOidcProvider } from '../domain/connections/oidc-discovery.ts';
import { asProtocolConnection } from '../domain/connections/connection-protocols.ts';
import { DomainError } from '../domain/errors.ts';
import type { OutboundClient } from '../security/outbound/outbound-fetch.ts';
import { fieldErrors } from './client-input.ts';
import { samlConnectionAdmin, samlView } from './saml-connection-handlers.ts';

export interface ConnectionHandlerDeps {
  connections: ConnectionsRepository;
  /** Fetches the upstream's discovery document (the partner policy: loopback only outside production). */
  outbound: Pick<OutboundClient, 'fetch'>;
  /** Our issuer: the callback URL registered at the upstream hangs under it. */
  issuer: string;
  /** In production a preset kind's issuer (Google's) cannot be changed: the override is for tests only. */
  production: boolean;
}

/** The fixed callback per connection: what the operator registers at the upstream as its redirect URI. */
export function connectionRedirectUri(issuer: string, id: string): string {
  return `${issuer}/connections/${encodeURIComponent(id)}/callback`;
}

function invalid(error: z.ZodError): never {
  const fields = fieldErrors(error);
  throw new DomainError('invalid_input', `invalid connection: ${Object.entries(fields).map(([field, message]) => `${field} ${message}`).join('; ')}`, { details: { fields } });
}

function presetIssuer(): never {
  throw new DomainError('invalid_input', 'invalid connection: issuer is fixed for google', { details: { fields: { issuer: 'is fixed for google' } } });
}

function settingsOf(connection: StoredConnection): OidcConnectionSettings {
  return oidcConnectionSettings.parse(connection.settings);
}

/** Never the client secret: whether one is set is all a reader learns. */
function view(connection: StoredConnection, issuer: string) {
  if (connection.kind === 'saml') return samlView(connection, issuer);
  const settings = settingsOf(connection);
  return {
    id: connection.id,
    kind: connection.kind,
    name: connection.name,
    issuer: settings.issuer,
    client_id: settings.client_id,
    has_client_secret: settings.client_secret !== undefined,
    scopes: settings.scopes,
    claim_mapping: settings.claim_mapping,
    trusted_email: settings.trusted_email,
    trusted_mfa: settings.trusted_mfa,
    domains: settings.domains,
    redirect_uri: connectionRedirectUri(issuer, connection.id),
    created_at: connection.createdAt.toISOString(),
    updated_at: connection.updatedAt.toISOString(),
  };
}

/** Every stored connection (they are few: one per upstream), for checks across them. */
async function allConnections(connections: ConnectionsRepository): Promise<StoredConnection[]> {
  const all: StoredConnection[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await connections.list(after === undefined ? { limit: 100 } : { limit: 100, after });
    all.push(...page);
    if (page.length < 100) return all;
    after = page.at(-1)!.id;
  }
}

/**
 * One email domain routes to one upstream: two connections claiming it would make home-realm discovery pick
 * one arbitrarily. (Two admins racing to claim the same domain can both win; connections are rare admin work.)
 */
async function assertDomainsFree(connections: ConnectionsRepository, domains: readonly string[], exceptId?: string): Promise<void> {
  if (domains.length === 0) return;
  const wanted = new Set(domains);
  for (const other of await allConnections(connections)) {
    if (other.id === exceptId) continue;
    const taken = asProtocolConnection(other)?.settings.domains.find((domain) => wanted.has(domain));
    if (taken) throw new DomainError('conflict', `domain ${taken} already routes to connection ${other.id}`, { details: { fields: { domains: `${taken} already routes to another connection` } } });
  }
}

export function connectionHandlers(deps: ConnectionHandlerDeps) {
  const { connections, issuer } = deps;
  const saml = samlConnectionAdmin({ connections, outbound: deps.outbound, issuer, invalid, assertDomainsFree: (domains, exceptId) => assertDomainsFree(connections, domains, exceptId) });

  async function load(ctx: Context): Promise<StoredConnection> {
    const connection = await connections.find(String(ctx.params.id));
    if (!connection) throw new DomainError('not_found', 'no such connection');
    return connection;
  }

  return {
    async create(ctx: Context) {
      if ((ctx.request.body as { kind?: unknown } | undefined)?.kind === 'saml') return saml.create(ctx);
      const parsed = connectionInput.safeParse(ctx.request.body);
      if (!parsed.success) invalid(parsed.error);
      const { kind, name, issuer: givenIssuer, ...rest } = parsed.data;
      if (kind === 'google' && givenIssuer !== undefined && deps.production) presetIssuer();
      const input = { ...rest, issuer: givenIssuer ?? GOOGLE_ISSUER };
      const domains = [...new Set(input.domains)];
      await assertDomainsFree(connections, domains);
      // Discovery now, not at the first sign-in: a wrong issuer is the operator's to fix, with the field named.
      const metadata = await discoverOidcProvider(deps.outbound, input.issuer);
      const settings: OidcConnectionSettings = { ...input, domains, metadata };
      const created = await connections.create({ id: randomUUID(), kind, name, settings: stripUndefined(settings) });
      ctx.status = 201;
      ctx.set('Location', `/admin/connections/${encodeURIComponent(created.id)}`);
      ctx.body = view(created, issuer);
    },

    async list(ctx: Context) {
      const limitText = ctx.query.limit ?? '50';
      const limit = Number(limitText);
      if (typeof limitText !== 'string' || !/^\d+$/.test(limitText) || limit < 1 || limit > 100) {
        throw new DomainError('invalid_input', 'invalid limit', { details: { fields: { limit: 'must be a whole number from 1 to 100' } } });
      }
      const after = typeof ctx.query.after === 'string' && ctx.query.after ? ctx.query.after : undefined;
      const page = await connections.list(after === undefined ? { limit: limit + 1 } : { limit: limit + 1, after });
      const items = page.slice(0, limit);
      ctx.body = { items: items.map((connection) => view(connection, issuer)), next: page.length > limit ? items.at(-1)!.id : null };
    },

    async read(ctx: Context) {
      ctx.body = view(await load(ctx), issuer);
    },

    async patch(ctx: Context) {
      const connection = await load(ctx);
      if (connection.kind === 'saml') return saml.patch(ctx, connection);
      const parsed = oidcConnectionPatch.safeParse(ctx.request.body);
      if (!parsed.success) invalid(parsed.error);
      const { name, client_secret: secret, ...changes } = parsed.data;
      if (connection.kind === 'google' && changes.issuer !== undefined && deps.production) presetIssuer();
      const current = settingsOf(connection);
      const next: OidcConnectionSettings = { ...current, ...stripUndefined(changes) };
      if (secret === null) delete next.client_secret;
      else if (secret !== undefined) next.client_secret = secret;
      if (changes.domains) {
        next.domains = [...new Set(changes.domains)];
        await assertDomainsFree(connections, next.domains, connection.id);
      }
      // A new issuer is a new upstream: its metadata is read (and checked) again before anything is stored.
      if (changes.issuer !== undefined && changes.issuer !== current.issuer) next.metadata = await discoverOidcProvider(deps.outbound, changes.issuer);
      const updated = await connections.update(connection.id, { name: name ?? connection.name, settings: stripUndefined(next) });
      if (!updated) throw new DomainError('not_found', 'no such connection');
      ctx.body = view(updated, issuer);
    },

    async remove(ctx: Context) {
      if (!(await connections.delete(String(ctx.params.id)))) throw new DomainError('not_found', 'no such connection');
      ctx.status = 204;
    },
  };
}

/** JSON has no undefined: dropped so a stored document round-trips to the same settings on both adapters. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
