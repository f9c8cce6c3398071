// Admin API handlers for connections (upstream identity providers): create, list, read, patch, delete.
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { z } from 'zod';
import {
  APPLE_ISSUER, appleConnectionPatch, connectionInput, FACEBOOK_DIALOG_BASE, type facebookConnectionInput, facebookConnectionPatch, facebookMetadata, GOOGLE_ISSUER, MICROSOFT_ISSUER_TEMPLATE, microsoftConnectionPatch, oidcConnectionPatch, oidcConnectionSettings, type DiscoveredMetadata, type OidcConnectionSettings,
} from '../domain/connections/connection-settings.ts';
import type { ConnectionsRepository, StoredConnection } from '../domain/connections/connections.repository.ts';
import { discoveryIssuer, discoveryIssuers } from '../domain/connections/microsoft-tenant.ts';
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

function presetIssuer(kind: string): never {
  throw new DomainError('invalid_input', `invalid connection: issuer is fixed for ${kind}`, { details: { fields: { issuer: `is fixed for ${kind}` } } });
}

/**
 * Entra's discovery document for the configured tenant (an unknown tenant id is refused there, so the field to
 * fix is `tenant`); the stored issuer is the template each ID token's `tid` fills.
 */
async function discoverMicrosoft(outbound: Pick<OutboundClient, 'fetch'>, template: string, tenant: string, blame: 'issuer' | 'tenant'): Promise<DiscoveredMetadata> {
  try {
    const metadata = await discoverOidcProvider(outbound, discoveryIssuer(template, tenant), discoveryIssuers(template, tenant));
    return { ...metadata, issuer: template };
  } catch (error) {
    const fields = error instanceof DomainError ? (error.details as { fields?: Record<string, string> } | undefined)?.fields : undefined;
    if (blame === 'issuer' || !fields?.issuer) throw error;
    throw new DomainError('invalid_input', `invalid connection: tenant ${fields.issuer}`, { details: { fields: { tenant: fields.issuer } }, cause: error });
  }
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
    ...(settings.tenant === undefined ? {} : { tenant: settings.tenant }),
    ...(connection.kind === 'facebook' ? { graph_version: settings.graph_version } : {}),
    ...(connection.kind === 'apple' ? { team_id: settings.team_id, key_id: settings.key_id, has_private_key: settings.private_key !== undefined } : {}),
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

  function created(ctx: Context, connection: StoredConnection): void {
    ctx.status = 201;
    ctx.set('Location', `/admin/connections/${encodeURIComponent(connection.id)}`);
    ctx.body = view(connection, issuer);
  }

  /** Facebook: nothing to discover (OAuth 2.0 and the Graph API at fixed URLs); the app secret is required. */
  async function createFacebook(ctx: Context, input: z.output<typeof facebookConnectionInput>): Promise<void> {
    const { kind, name, base_url: baseUrl, graph_version: version, ...rest } = input;
    if (baseUrl !== undefined && deps.production) throw new DomainError('invalid_input', 'invalid connection: base_url is for tests only', { details: { fields: { base_url: 'is for tests only' } } });
    const domains = [...new Set(rest.domains)];
    await assertDomainsFree(connections, domains);
    const metadata = facebookMetadata(version, baseUrl);
    const settings: OidcConnectionSettings = {
      ...rest, domains, issuer: metadata.issuer, trusted_mfa: false, metadata, profile_api: 'facebook_graph', graph_version: version,
    };
    created(ctx, await connections.create({ id: randomUUID(), kind, name, settings: stripUndefined(settings) }));
  }

  return {
    async create(ctx: Context) {
      if ((ctx.request.body as { kind?: unknown } | undefined)?.kind === 'saml') return saml.create(ctx);
      const parsed = connectionInput.safeParse(ctx.request.body);
      if (!parsed.success) invalid(parsed.error);
      if (parsed.data.kind === 'facebook') return createFacebook(ctx, parsed.data);
      const { kind, name, issuer: givenIssuer, ...rest } = parsed.data;
      // The preset kinds' issuers are fixed; a test's local upstream stands in for them outside production only.
      if (kind !== 'oidc' && givenIssuer !== undefined && deps.production) presetIssuer(kind);
      const preset = { google: GOOGLE_ISSUER, microsoft: MICROSOFT_ISSUER_TEMPLATE, apple: APPLE_ISSUER, oidc: GOOGLE_ISSUER }[kind];
      // Apple answers with a form POST to the callback (its only way to send the name and email scopes).
      const input = { ...rest, issuer: givenIssuer ?? preset, ...(kind === 'apple' ? { response_mode: 'form_post' as const } : {}) };
      const domains = [...new Set(input.domains)];
      await assertDomainsFree(connections, domains);
      // Discovery now, not at the first sign-in: a wrong issuer is the operator's to fix, with the field named.
      const metadata = parsed.data.kind === 'microsoft'
        ? await discoverMicrosoft(deps.outbound, input.issuer, parsed.data.tenant, givenIssuer === undefined ? 'tenant' : 'issuer')
        : await discoverOidcProvider(deps.outbound, input.issuer);
      const settings: OidcConnectionSettings = { ...input, domains, metadata };
      await created(ctx, await connections.create({ id: randomUUID(), kind, name, settings: stripUndefined(settings) }));
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
      const schema = { microsoft: microsoftConnectionPatch, apple: appleConnectionPatch, facebook: facebookConnectionPatch }[connection.kind] ?? oidcConnectionPatch;
      const parsed = schema.safeParse(ctx.request.body);
      if (!parsed.success) invalid(parsed.error);
      const { name, client_secret: secret, ...changes } = parsed.data as z.output<typeof microsoftConnectionPatch> & z.output<typeof appleConnectionPatch> & z.output<typeof facebookConnectionPatch>;
      if (connection.kind !== 'oidc' && changes.issuer !== undefined && deps.production) presetIssuer(connection.kind);
      const current = settingsOf(connection);
      const next: OidcConnectionSettings = { ...current, ...stripUndefined(changes) };
      if (secret === null) delete next.client_secret;
      else if (secret !== undefined) next.client_secret = secret;
      if (changes.domains) {
        next.domains = [...new Set(changes.domains)];
        await assertDomainsFree(connections, next.domains, connection.id);
      }
      // A new issuer is a new upstream: its metadata is read (and checked) again before anything is stored.
      if (connection.kind === 'facebook') {
        // The endpoints follow the Graph version (a test's stand-in keeps its base URL).
        if (changes.graph_version !== undefined) next.metadata = facebookMetadata(changes.graph_version, current.issuer === FACEBOOK_DIALOG_BASE ? undefined : current.issuer);
      } else if (connection.kind === 'microsoft') {
        if ((changes.issuer !== undefined && changes.issuer !== current.issuer) || (changes.tenant !== undefined && changes.tenant !== current.tenant)) {
          next.metadata = await discoverMicrosoft(deps.outbound, next.issuer, next.tenant ?? 'common', changes.issuer === undefined ? 'tenant' : 'issuer');
        }
      } else if (changes.issuer !== undefined && changes.issuer !== current.issuer) next.metadata = await discoverOidcProvider(deps.outbound, changes.issuer);
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
