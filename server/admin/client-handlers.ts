// Admin API handlers for OIDC clients: create, list, read, replace, delete, rotate secret.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../../config/account-console-client.ts';
import { ADMIN_SCOPE } from '../../config/provider.ts';
import type { ClientMetadata, ClientsRepository, StoredClient } from '../domain/clients/clients.repository.ts';
import { DomainError } from '../domain/errors.ts';
import type { PartnersRepository } from '../domain/partners/partners.repository.ts';
import type { OutboundClient } from '../security/outbound/outbound-fetch.ts';
import { type ClientInput, clientInput, fieldErrors, redirectProblems } from './client-input.ts';

export interface ClientHandlerDeps {
  provider: Provider;
  clients: ClientsRepository;
  partners: PartnersRepository;
  /** The partner-target policy: what this server will call (loopback only outside production). */
  outbound: Pick<OutboundClient, 'targetProblem'>;
}

/** URIs this server calls itself: refused at registration when the outbound guard would refuse them anyway. */
const SERVER_CALLED_URIS = ['backchannel_logout_uri', 'jwks_uri', 'sector_identifier_uri'] as const;

/**
 * A client whose logout endpoint is on a private or (in production) loopback address would register fine
 * and then never hear a logout: refused now, with the reason, instead of failing silently later.
 */
async function checkServerCalledUris(deps: ClientHandlerDeps, input: ClientInput): Promise<void> {
  const problems: Record<string, string> = {};
  for (const field of SERVER_CALLED_URIS) {
    const uri = input[field];
    if (uri === undefined) continue;
    const problem = await deps.outbound.targetProblem(uri);
    if (problem) problems[field] = problem;
  }
  const entries = Object.entries(problems);
  if (entries.length) throw invalid(problems, entries.map(([field, problem]) => `${field}: ${problem}`).join('; '));
}

const newSecret = () => randomBytes(32).toString('base64url');

function invalid(fields: Record<string, string>, message = 'invalid client metadata'): DomainError {
  return new DomainError('invalid_input', message, { details: { fields } });
}

/** Secrets leave the server only in the responses of create and rotate. */
function publicView(client: StoredClient): Record<string, unknown> {
  const { client_secret: _secret, ...metadata } = client.metadata;
  return { ...metadata, created_at: client.createdAt.toISOString(), updated_at: client.updatedAt.toISOString() };
}

function parseInput(body: unknown): ClientInput {
  const parsed = clientInput.safeParse(body);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const input = parsed.data;
  if (input.scope?.split(' ').includes(ADMIN_SCOPE)) throw invalid({ scope: 'the admin scope cannot be granted through the API' });
  const problems = redirectProblems(input);
  if (Object.keys(problems).length) throw invalid(problems);
  return input;
}

/**
 * A partner's client must name an existing partner and use pairwise subjects (per partner): a public
 * sub would let partners join their member lists.
 */
async function checkPartner(deps: ClientHandlerDeps, input: ClientInput): Promise<ClientInput> {
  if (input.partner_id === undefined) return input;
  if (!(await deps.partners.find(input.partner_id))) throw invalid({ partner_id: 'no such partner' });
  if (input.subject_type === 'public') throw invalid({ subject_type: 'a partner client uses pairwise subjects' });
  return { ...input, subject_type: 'pairwise' };
}

function toMetadata(input: ClientInput, clientId: string, secret: string | undefined): ClientMetadata {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const responseTypes = input.response_types ?? (input.grant_types.includes('authorization_code') ? ['code'] : []);
  const usesSecret = input.token_endpoint_auth_method === 'client_secret_basic' || input.token_endpoint_auth_method === 'client_secret_post';
  return { ...defined, client_id: clientId, response_types: responseTypes, ...(usesSecret ? { client_secret: secret ?? newSecret() } : {}) };
}

/** The rejections oidc-provider's client schema raises; anything else it throws is a fault, not bad input. */
const METADATA_ERRORS: Record<string, string> = {
  invalid_client_metadata: '(metadata)',
  invalid_redirect_uri: 'redirect_uris',
};

/** oidc-provider validates the rest (grant/response type coherence, jwks, sector identifiers, ...). */
async function validateWithProvider(provider: Provider, metadata: ClientMetadata): Promise<void> {
  try {
    await provider.Client.validate(metadata as Parameters<Provider['Client']['validate']>[0]);
  } catch (error) {
    const { error: code, error_description: description } = error as { error?: unknown; error_description?: unknown };
    const field = typeof code === 'string' ? METADATA_ERRORS[code] : undefined;
    if (!field) throw error;
    const message = typeof description === 'string' ? description : 'invalid client metadata';
    throw invalid({ [field]: message }, message);
  }
}

async function existing(deps: ClientHandlerDeps, ctx: Context): Promise<StoredClient> {
  const client = await deps.clients.find(String(ctx.params.id));
  if (!client) throw new DomainError('not_found', 'no such client');
  return client;
}

/**
 * Admin-capable clients (the bootstrap admin) are managed through the environment, not the API: a
 * stolen admin token must not be able to mint a second admin, lock out the real one, or erase itself.
 */
function assertManageable(ctx: Context, client: StoredClient): void {
  const admin = String(client.metadata.scope ?? '').split(' ').includes(ADMIN_SCOPE);
  if (admin || client.clientId === ctx.state.adminClientId) {
    throw new DomainError('conflict', 'admin clients are managed through BOOTSTRAP_ADMIN_CLIENT_* and cannot be changed here');
  }
}

/** Ids the provider keeps for its own clients (the account console today, any built-in client later). */
export const RESERVED_CLIENT_ID_PREFIX = 'loyalty-';

/**
 * A registered client named like a built-in one would shadow or impersonate it (the account console is
 * configured in code, so the store would otherwise accept its id), and one named like the bootstrap
 * admin would collide with the environment's upsert at the next boot.
 */
function assertNotReserved(ctx: Context, clientId: string | undefined): void {
  if (clientId === undefined) return;
  const reserved = clientId === ACCOUNT_CONSOLE_CLIENT_ID
    || clientId === ctx.state.adminClientId
    || clientId.toLowerCase().startsWith(RESERVED_CLIENT_ID_PREFIX);
  if (reserved) {
    throw invalid({ client_id: `is reserved for the provider's own clients (ids starting with "${RESERVED_CLIENT_ID_PREFIX}" and the admin client)` }, 'this client_id is reserved');
  }
}

export function clientHandlers(deps: ClientHandlerDeps) {
  return {
    async create(ctx: Context) {
      const input = await checkPartner(deps, parseInput(ctx.request.body));
      assertNotReserved(ctx, input.client_id);
      await checkServerCalledUris(deps, input);
      const metadata = toMetadata(input, input.client_id ?? `client-${randomUUID()}`, undefined);
      await validateWithProvider(deps.provider, metadata);
      const stored = await deps.clients.create(metadata);
      ctx.status = 201;
      ctx.set('Location', `/admin/clients/${encodeURIComponent(stored.clientId)}`);
      ctx.body = { ...publicView(stored), ...(stored.metadata.client_secret ? { client_secret: stored.metadata.client_secret } : {}) };
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
      ctx.body = publicView(await existing(deps, ctx));
    },

    async replace(ctx: Context) {
      const current = await existing(deps, ctx);
      assertManageable(ctx, current);
      const input = await checkPartner(deps, parseInput(ctx.request.body));
      if (input.client_id !== undefined && input.client_id !== current.clientId) throw invalid({ client_id: 'must match the client in the URL' });
      await checkServerCalledUris(deps, input);
      // The secret is kept. Switching to a client_secret_* method generates one, which only a rotation reveals.
      const secret = current.metadata.client_secret;
      const metadata = toMetadata(input, current.clientId, typeof secret === 'string' ? secret : undefined);
      await validateWithProvider(deps.provider, metadata);
      const stored = await deps.clients.replace(metadata);
      if (!stored) throw new DomainError('not_found', 'no such client');
      ctx.body = publicView(stored);
    },

    async remove(ctx: Context) {
      const current = await existing(deps, ctx);
      assertManageable(ctx, current);
      if (!(await deps.clients.delete(current.clientId))) throw new DomainError('not_found', 'no such client');
      ctx.status = 204;
    },

    async rotateSecret(ctx: Context) {
      const current = await existing(deps, ctx);
      assertManageable(ctx, current);
      if (!current.metadata.client_secret) throw new DomainError('conflict', 'this client does not authenticate with a secret');
      const clientSecret = newSecret();
      // The store is the only copy: oidc-provider re-reads the client on every token request, so the
      // old secret fails from the next request on.
      if (!(await deps.clients.replace({ ...current.metadata, client_secret: clientSecret }))) throw new DomainError('not_found', 'no such client');
      ctx.body = { client_id: current.clientId, client_secret: clientSecret };
    },
  };
}
