// Registering, changing and removing OIDC clients and rotating their secrets: one set of rules (schema, redirect
// URIs, partner, server-called URIs, oidc-provider's own validation) for the admin API and the operator console.
import { randomBytes, randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../../../config/account-console-client.ts';
import { ADMIN_SCOPE } from '../../../config/provider.ts';
import type { OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import { DomainError } from '../errors.ts';
import type { PartnersRepository } from '../partners/partners.repository.ts';
import { type ClientInput, clientInput, fieldErrors, REDIRECT_PROBLEM_MESSAGES, type RedirectProblem, redirectProblemCodes } from './client-input.ts';
import type { ClientMetadata, ClientsRepository, StoredClient } from './clients.repository.ts';

export interface ClientRegistrationDeps {
  provider: Provider;
  clients: ClientsRepository;
  partners: Pick<PartnersRepository, 'find'>;
  /** The partner-target policy: what this server will call (loopback only outside production). */
  outbound: Pick<OutboundClient, 'targetProblem'>;
}

/** Who asks: the admin client of the request (it may not change or shadow itself); staff in the console have none. */
export interface RegistrationCaller {
  adminClientId?: string | undefined;
}

/** A field's problem as a code: the redirect rules' own, or `invalid` for anything else the schema or provider refused. */
export type ClientProblem = RedirectProblem | 'invalid';

/**
 * Bad client metadata: `details.fields` is the admin API's `{ field: message }` (unchanged), `problems` the same
 * fields as codes, which the console shows in the page's language.
 */
export class InvalidClientError extends DomainError {
  readonly problems: Readonly<Record<string, ClientProblem>>;

  constructor(fields: Record<string, string>, message = 'invalid client metadata', problems?: Record<string, ClientProblem>) {
    super('invalid_input', message, { details: { fields } });
    this.name = 'InvalidClientError';
    this.problems = problems ?? Object.fromEntries(Object.keys(fields).map((field) => [field, 'invalid' as const]));
  }
}

/** A form built on a client that changed meanwhile (its updatedAt moved): nothing was written. */
export const STALE_CLIENT = 'stale_client';

/** URIs this server calls itself: refused at registration when the outbound guard would refuse them anyway. */
const SERVER_CALLED_URIS = ['backchannel_logout_uri', 'jwks_uri', 'sector_identifier_uri'] as const;

/** Ids the provider keeps for its own clients (the account console today, any built-in client later). */
export const RESERVED_CLIENT_ID_PREFIX = 'loyalty-';

const newSecret = () => randomBytes(32).toString('base64url');

/** The rejections oidc-provider's client schema raises; anything else it throws is a fault, not bad input. */
const METADATA_ERRORS: Record<string, string> = {
  invalid_client_metadata: '(metadata)',
  invalid_redirect_uri: 'redirect_uris',
};

function parseInput(body: unknown): ClientInput {
  const parsed = clientInput.safeParse(body);
  if (!parsed.success) throw new InvalidClientError(fieldErrors(parsed.error));
  const input = parsed.data;
  if (input.scope?.split(' ').includes(ADMIN_SCOPE)) throw new InvalidClientError({ scope: 'the admin scope cannot be granted through the API' });
  const problems = redirectProblemCodes(input);
  if (Object.keys(problems).length) {
    throw new InvalidClientError(Object.fromEntries(Object.entries(problems).map(([field, problem]) => [field, REDIRECT_PROBLEM_MESSAGES[problem]])), undefined, problems);
  }
  return input;
}

function toMetadata(input: ClientInput, clientId: string, secret: string | undefined): ClientMetadata {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const responseTypes = input.response_types ?? (input.grant_types.includes('authorization_code') ? ['code'] : []);
  const usesSecret = input.token_endpoint_auth_method === 'client_secret_basic' || input.token_endpoint_auth_method === 'client_secret_post';
  return { ...defined, client_id: clientId, response_types: responseTypes, ...(usesSecret ? { client_secret: secret ?? newSecret() } : {}) };
}

/**
 * Admin-capable clients (the bootstrap admin) are managed through the environment, not the API: a
 * stolen admin token must not be able to mint a second admin, lock out the real one, or erase itself.
 */
function assertManageable(caller: RegistrationCaller, client: StoredClient): void {
  const admin = String(client.metadata.scope ?? '').split(' ').includes(ADMIN_SCOPE);
  if (admin || client.clientId === caller.adminClientId) {
    throw new DomainError('conflict', 'admin clients are managed through BOOTSTRAP_ADMIN_CLIENT_* and cannot be changed here');
  }
}

/**
 * A registered client named like a built-in one would shadow or impersonate it (the account console is
 * configured in code, so the store would otherwise accept its id), and one named like the bootstrap
 * admin would collide with the environment's upsert at the next boot.
 */
function assertNotReserved(caller: RegistrationCaller, clientId: string | undefined): void {
  if (clientId === undefined) return;
  const reserved = clientId === ACCOUNT_CONSOLE_CLIENT_ID
    || clientId === caller.adminClientId
    || clientId.toLowerCase().startsWith(RESERVED_CLIENT_ID_PREFIX);
  if (reserved) {
    throw new InvalidClientError({ client_id: `is reserved for the provider's own clients (ids starting with "${RESERVED_CLIENT_ID_PREFIX}" and the admin client)` }, 'this client_id is reserved');
  }
}

export class ClientRegistration {
  private readonly deps: ClientRegistrationDeps;

  constructor(deps: ClientRegistrationDeps) {
    this.deps = deps;
  }

  /** Registers a client; `secret` is the only time its secret leaves the server (none for public clients). */
  async create(body: unknown, caller: RegistrationCaller): Promise<{ client: StoredClient; secret: string | undefined }> {
    const input = await this.checkPartner(parseInput(body));
    assertNotReserved(caller, input.client_id);
    await this.checkServerCalledUris(input);
    const metadata = toMetadata(input, input.client_id ?? `client-${randomUUID()}`, undefined);
    await this.validateWithProvider(metadata);
    const client = await this.deps.clients.create(metadata);
    const secret = client.metadata.client_secret;
    return { client, secret: typeof secret === 'string' ? secret : undefined };
  }

  /**
   * Replaces the client's metadata (its secret is kept). With `expectedUpdatedAt` (a form built on an earlier
   * read), a client changed since is refused with DomainError('conflict', details.reason STALE_CLIENT).
   */
  async replace(clientId: string, body: unknown, caller: RegistrationCaller, expectedUpdatedAt?: number): Promise<StoredClient> {
    const current = await this.existing(clientId);
    assertManageable(caller, current);
    if (expectedUpdatedAt !== undefined && current.updatedAt.getTime() !== expectedUpdatedAt) {
      throw new DomainError('conflict', 'the client was changed meanwhile', { details: { reason: STALE_CLIENT } });
    }
    const input = await this.checkPartner(parseInput(body));
    if (input.client_id !== undefined && input.client_id !== current.clientId) throw new InvalidClientError({ client_id: 'must match the client in the URL' });
    await this.checkServerCalledUris(input);
    // The secret is kept. Switching to a client_secret_* method generates one, which only a rotation reveals.
    const secret = current.metadata.client_secret;
    const metadata = toMetadata(input, current.clientId, typeof secret === 'string' ? secret : undefined);
    await this.validateWithProvider(metadata);
    const stored = await this.deps.clients.replace(metadata);
    if (!stored) throw new DomainError('not_found', 'no such client');
    return stored;
  }

  async remove(clientId: string, caller: RegistrationCaller): Promise<void> {
    const current = await this.existing(clientId);
    assertManageable(caller, current);
    if (!(await this.deps.clients.delete(current.clientId))) throw new DomainError('not_found', 'no such client');
  }

  /** A new secret, returned once; the old one fails from the next token request on. */
  async rotateSecret(clientId: string, caller: RegistrationCaller): Promise<{ clientId: string; secret: string }> {
    const current = await this.existing(clientId);
    assertManageable(caller, current);
    if (!current.metadata.client_secret) throw new DomainError('conflict', 'this client does not authenticate with a secret');
    const secret = newSecret();
    // The store is the only copy: oidc-provider re-reads the client on every token request, so the
    // old secret fails from the next request on.
    if (!(await this.deps.clients.replace({ ...current.metadata, client_secret: secret }))) throw new DomainError('not_found', 'no such client');
    return { clientId: current.clientId, secret };
  }

  async existing(clientId: string): Promise<StoredClient> {
    const client = await this.deps.clients.find(clientId);
    if (!client) throw new DomainError('not_found', 'no such client');
    return client;
  }

  /**
   * A partner's client must name an existing partner and use pairwise subjects (per partner): a public
   * sub would let partners join their member lists.
   */
  private async checkPartner(input: ClientInput): Promise<ClientInput> {
    if (input.partner_id === undefined) return input;
    if (!(await this.deps.partners.find(input.partner_id))) throw new InvalidClientError({ partner_id: 'no such partner' });
    if (input.subject_type === 'public') throw new InvalidClientError({ subject_type: 'a partner client uses pairwise subjects' });
    return { ...input, subject_type: 'pairwise' };
  }

  /**
   * A client whose logout endpoint is on a private or (in production) loopback address would register fine
   * and then never hear a logout: refused now, with the reason, instead of failing silently later.
   */
  private async checkServerCalledUris(input: ClientInput): Promise<void> {
    const problems: Record<string, string> = {};
    for (const field of SERVER_CALLED_URIS) {
      const uri = input[field];
      if (uri === undefined) continue;
      const problem = await this.deps.outbound.targetProblem(uri);
      if (problem) problems[field] = problem;
    }
    const entries = Object.entries(problems);
    if (entries.length) throw new InvalidClientError(problems, entries.map(([field, problem]) => `${field}: ${problem}`).join('; '));
  }

  /** oidc-provider validates the rest (grant/response type coherence, jwks, sector identifiers, ...). */
  private async validateWithProvider(metadata: ClientMetadata): Promise<void> {
    try {
      await this.deps.provider.Client.validate(metadata as Parameters<Provider['Client']['validate']>[0]);
    } catch (error) {
      const { error: code, error_description: description } = error as { error?: unknown; error_description?: unknown };
      const field = typeof code === 'string' ? METADATA_ERRORS[code] : undefined;
      if (!field) throw error;
      const message = typeof description === 'string' ? description : 'invalid client metadata';
      throw new InvalidClientError({ [field]: message }, message);
    }
  }
}
