// The OpenAPI 3.1 description of the admin API, served at /admin/openapi.json.
import { clientInput, clientSchema as client } from './client-openapi.ts';
import { connectionPaths, connectionSchemas } from './connection-openapi.ts';
import { heldRedemptionPaths, heldRedemptionSchemas } from './held-redemption-openapi.ts';
import { memberSupportPaths, memberSupportSchemas } from './member-support-openapi.ts';
import { duplicatePaths, duplicateSchemas } from './duplicate-openapi.ts';
import { mergePaths, mergeSchemas } from './merge-openapi.ts';
import { samlConnectionSchemas } from './saml-connection-openapi.ts';
import { samlServiceProviderPaths, samlServiceProviderSchemas } from './saml-service-provider-openapi.ts';
import { consentPaths, consentSchemas } from './consent-openapi.ts';
import { hookPaths, hookSchemas } from './hook-openapi.ts';
import { importJobPaths, importJobSchemas } from './import-job-openapi.ts';
import { memberPaths, memberSchemas } from './member-openapi.ts';
import { webhookPaths, webhookSchemas } from './webhook-openapi.ts';
import { analyticsPaths, analyticsSchemas } from './analytics-openapi.ts';
import { staffPaths, staffSchemas } from './staff-openapi.ts';
import { AUDIT_EVENT_TYPES, MAX_AUDIT_PAGE } from '../domain/audit/audit-rules.ts';

const error = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', examples: ['invalid_input'] },
    error_description: { type: 'string' },
    details: { type: 'object', properties: { fields: { type: 'object', additionalProperties: { type: 'string' } } } },
  },
};

/** Mirrors imported-member-handlers.ts (the zod schema there is what decides). */
const importedMemberInput = {
  type: 'object',
  additionalProperties: false,
  required: ['card_number', 'name', 'balance'],
  properties: {
    card_number: { type: 'string', maxLength: 64, description: 'The old program\'s card number: 8-19 digits, no check digit required; spaces and dashes are dropped, leading zeros kept.' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    email: { type: ['string', 'null'], format: 'email', description: 'Where the claim code goes (preferred over phone).' },
    phone: { type: ['string', 'null'], description: 'Mobile number, international format (or national with SMS_DEFAULT_COUNTRY); the claim code goes here by SMS when there is no email.' },
    balance: { type: 'integer', minimum: 0, maximum: 100_000_000, description: 'Points moved to the account that claims the card.' },
  },
};

const importResult = {
  type: 'object',
  required: ['received', 'inserted', 'updated', 'claimed', 'rejected', 'errors'],
  properties: {
    received: { type: 'integer' },
    inserted: { type: 'integer', description: 'New cards.' },
    updated: { type: 'integer', description: 'Unclaimed cards overwritten with the new record.' },
    claimed: {
      type: 'array',
      description: 'Rows left alone because an account claimed the card already.',
      items: { type: 'object', required: ['index', 'card_number'], properties: { index: { type: 'integer' }, card_number: { type: 'string' } } },
    },
    rejected: { type: 'integer', description: 'Rows refused (not imported); see errors.' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'fields'],
        properties: { index: { type: 'integer', description: 'Position of the row in the request' }, fields: { type: 'object', additionalProperties: { type: 'string' } } },
      },
    },
  },
};

/** Mirrors audit-handlers.ts (the zod schema there is what decides). */
const auditEvent = {
  type: 'object',
  required: ['id', 'type', 'at', 'account_id', 'ip', 'user_agent', 'country', 'reason', 'details'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: [...AUDIT_EVENT_TYPES] },
    at: { type: 'string', format: 'date-time' },
    account_id: { type: ['string', 'null'], description: 'The account concerned, when one is known.' },
    ip: { type: ['string', 'null'] },
    user_agent: { type: ['string', 'null'], maxLength: 256 },
    country: { type: ['string', 'null'], description: 'ISO 3166-1 alpha-2 of the address, when known.' },
    reason: { type: ['string', 'null'], maxLength: 64, description: 'Why: a failure reason or rule name, or for admin.action the route (`POST /admin/clients`).' },
    details: {
      type: 'object',
      maxProperties: 20,
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
      description: 'Flat values (never passwords, codes, tokens or secrets); for admin.action: status, admin_client_id, request_id; '
        + 'for backchannel_logout.failed: client_id, attempt (1-based), final (true when no retry follows), error (http_503, timeout, redirect, special_use_address, ...); '
        + 'for session.hijack_suspected (reason device_mismatch or impossible_travel): bound_country, bound_at (where and when the session was last used before).',
    },
  },
};

const isoInstant = (description: string) => ({ type: 'string', format: 'date-time', description: `${description} ISO 8601 with a time zone offset (Z or ±hh:mm).` });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** Every authorized operation can fail these ways; `extra` adds the operation's own outcomes. */
const responses = (extra: Record<string, unknown>) => ({
  ...extra,
  401: { $ref: '#/components/responses/Unauthorized' },
  403: { $ref: '#/components/responses/Forbidden' },
});
const withBody = (extra: Record<string, unknown>) => responses({
  ...extra,
  400: { $ref: '#/components/responses/InvalidInput' },
  413: { $ref: '#/components/responses/PayloadTooLarge' },
  415: { $ref: '#/components/responses/UnsupportedMediaType' },
});
const notFound = { $ref: '#/components/responses/NotFound' };
const adminClient = errorResponse('The client holds the admin scope (or is the caller): managed through the environment only');

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The client_id' };
const json = (schema: unknown) => ({ 'application/json': { schema } });
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Loyalty ID admin API',
      version: '1.0.0',
      description: 'Manage OIDC clients, partners and members imported from an old program, and read the security audit log. Authorize with a client-credentials access token (scope `admin`) of the bootstrap admin client: '
        + 'POST /token with grant_type=client_credentials&scope=admin. Bodies are application/json, at most 64 KB (1 MB for an import). '
        + 'Client secrets are returned only by create and rotate. Staff members may call it too with an access token the operator console client '
        + '(`loyalty-staff-console`, authorization code + PKCE, two factors: an authenticator app or a passkey, never SMS) issued to them within the last 12 hours: '
        + 'each route then needs the action its staff roles allow (403 otherwise).',
    },
    servers: [{ url: '/admin' }],
    security: [{ bearer: ['admin'] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'oauth2',
          description: 'Opaque bearer access token from the client credentials grant; sent as `Authorization: Bearer <token>`.',
          flows: { clientCredentials: { tokenUrl: '/token', scopes: { admin: 'Manage clients' } } },
        },
      },
      schemas: {
        ...webhookSchemas,
        ...hookSchemas,
        ...memberSchemas,
        ...consentSchemas,
        ...connectionSchemas,
        ...samlConnectionSchemas,
        ...samlServiceProviderSchemas,
        ...importJobSchemas,
        ...heldRedemptionSchemas,
        ...memberSupportSchemas,
        ...mergeSchemas,
        ...analyticsSchemas,
        ...staffSchemas,
        ...duplicateSchemas,
        Error: error,
        ClientInput: clientInput,
        Client: client,
        ClientWithSecret: { allOf: [{ $ref: '#/components/schemas/Client' }, { type: 'object', properties: { client_secret: { type: 'string', description: 'Shown once; absent for `none` and `private_key_jwt`.' } } }] },
        ClientPage: {
          type: 'object',
          required: ['items', 'next'],
          properties: {
            items: { type: 'array', items: { $ref: '#/components/schemas/Client' } },
            next: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null on the last page.' },
          },
        },
        Partner: { type: 'object', required: ['id', 'name', 'created_at'], properties: { id: { type: 'string' }, name: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } } },
        ImportedMemberInput: importedMemberInput,
        ImportResult: importResult,
        AuditEvent: auditEvent,
        AuditEventPage: {
          type: 'object',
          required: ['events', 'next'],
          properties: {
            events: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' }, description: 'Newest first (by time, then id).' },
            next: { type: ['string', 'null'], description: 'Pass as `before` for the next (older) page; null on the last page.' },
          },
        },
        Secret: { type: 'object', required: ['client_id', 'client_secret'], properties: { client_id: { type: 'string' }, client_secret: { type: 'string' } } },
      },
      responses: {
        InvalidInput: errorResponse('Invalid input; per-field messages in details.fields'),
        Unauthorized: {
          ...errorResponse('Missing, malformed, unknown or expired token'),
          headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer error="invalid_token"' } },
        },
        Forbidden: {
          ...errorResponse('The token (or its client) lacks the admin scope'),
          headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer error="insufficient_scope"' } },
        },
        NotFound: errorResponse('No such client'),
        PayloadTooLarge: errorResponse('Body over 64 KB (1 MB for an import)'),
        UnsupportedMediaType: errorResponse('Body not application/json'),
      },
    },
    paths: {
      '/clients': {
        post: {
          operationId: 'createClient',
          summary: 'Register a client',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ClientInput' }) },
          responses: withBody({
            201: {
              description: 'Created; the secret is shown only here',
              headers: { Location: { schema: { type: 'string' }, description: 'URL of the new client' } },
              content: json({ $ref: '#/components/schemas/ClientWithSecret' }),
            },
            409: errorResponse('client_id taken'),
          }),
        },
        get: {
          operationId: 'listClients',
          summary: 'List clients, ordered by client_id',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
            { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The `next` value of the previous page' },
          ],
          responses: responses({
            200: { description: 'A page of clients (without secrets)', content: json({ $ref: '#/components/schemas/ClientPage' }) },
            400: { $ref: '#/components/responses/InvalidInput' },
          }),
        },
      },
      '/clients/{id}': {
        parameters: [idParam],
        get: {
          operationId: 'readClient',
          summary: 'Read a client (without its secret)',
          responses: responses({ 200: { description: 'The client', content: json({ $ref: '#/components/schemas/Client' }) }, 404: notFound }),
        },
        put: {
          operationId: 'replaceClient',
          summary: 'Replace a client\'s metadata (the secret is kept; client_id in the body must match or be absent)',
          description: 'Same validation as create. The secret is kept; switching to a client_secret_* method generates one, which POST /clients/{id}/secret reveals (and replaces).',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ClientInput' }) },
          responses: withBody({ 200: { description: 'Replaced', content: json({ $ref: '#/components/schemas/Client' }) }, 404: notFound, 409: adminClient }),
        },
        delete: {
          operationId: 'deleteClient',
          summary: 'Delete a client; its tokens stop working',
          responses: responses({ 204: { description: 'Deleted' }, 404: notFound, 409: adminClient }),
        },
      },
      '/partners': {
        post: {
          operationId: 'createPartner',
          summary: 'Create a partner (organization); give its clients partner_id to make them its own',
          requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100, description: 'Free text: no control or bidirectional-formatting characters; stored trimmed, in NFC.' } } }) },
          responses: withBody({ 201: { description: 'Created', content: json({ $ref: '#/components/schemas/Partner' }) } }),
        },
        get: {
          operationId: 'listPartners',
          summary: 'List partners, oldest first',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
            { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The `next` value of the previous page' },
          ],
          responses: responses({ 200: { description: 'A page of partners (items, next)' }, 400: { $ref: '#/components/responses/InvalidInput' } }),
        },
      },
      '/partners/{id}': {
        parameters: [idParam],
        get: {
          operationId: 'readPartner',
          summary: 'Read a partner',
          responses: responses({ 200: { description: 'The partner', content: json({ $ref: '#/components/schemas/Partner' }) }, 404: notFound }),
        },
      },
      ...connectionPaths({ responses, withBody, notFound, json, errorResponse }),
      ...samlServiceProviderPaths({ responses, withBody, notFound, json, errorResponse }),
      '/imported-members': {
        post: {
          operationId: 'importMembers',
          summary: 'Import members of the old program, to be claimed by their owners from the account page',
          description: 'Idempotent by card number: a new card is added, an unclaimed one is replaced by the new record, a claimed one is '
            + 'left alone and listed in `claimed`. Each row is checked on its own: good rows are imported, bad ones are listed in `errors` '
            + 'and not imported (a card number twice in one request refuses every row with it). 400 only when the body is not an array of 1 to 1,000 records.',
          requestBody: { required: true, content: json({ type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/ImportedMemberInput' } }) },
          responses: withBody({ 200: { description: 'What was done with each row', content: json({ $ref: '#/components/schemas/ImportResult' }) } }),
        },
      },
      ...importJobPaths({ responses, withBody, notFound, json }),
      '/audit-events': {
        get: {
          operationId: 'listAuditEvents',
          summary: 'Query the security audit log, newest first',
          description: 'Sign-in outcomes, blocks, unlocks, factor changes, redemptions, admin actions and failed back-channel logout deliveries '
            + '(`?type=backchannel_logout.failed`: one event per failed try, details client_id, attempt, final). Unknown parameters are refused, '
            + 'so a misspelt filter never widens the answer. Events are kept AUDIT_RETENTION_DAYS days (400 by default).',
          parameters: [
            { name: 'account_id', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'Only events of this account' },
            {
              name: 'type', in: 'query', style: 'form', explode: true,
              schema: { type: 'array', items: { type: 'string', enum: [...AUDIT_EVENT_TYPES] } },
              description: 'Only these types: repeat the parameter, or separate types with commas',
            },
            { name: 'ip', in: 'query', schema: { type: 'string' }, description: 'Only events from this IPv4 or IPv6 address (as recorded)' },
            { name: 'country', in: 'query', schema: { type: 'string', pattern: '^[A-Za-z]{2}$' }, description: 'Only events whose address was placed in this ISO 3166-1 alpha-2 country' },
            { name: 'from', in: 'query', schema: isoInstant('Inclusive.') },
            { name: 'to', in: 'query', schema: isoInstant('Exclusive; later than from.') },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: 100 } },
            { name: 'before', in: 'query', schema: { type: 'string' }, description: 'The `next` value of the previous page (opaque; an altered one is a 400)' },
          ],
          responses: responses({
            200: { description: 'A page of events', content: json({ $ref: '#/components/schemas/AuditEventPage' }) },
            400: { $ref: '#/components/responses/InvalidInput' },
          }),
        },
      },
      '/clients/{id}/secret': {
        parameters: [idParam],
        post: {
          operationId: 'rotateClientSecret',
          summary: 'Rotate the client secret; the old one stops working at once',
          responses: responses({
            200: { description: 'The new secret, shown once', content: json({ $ref: '#/components/schemas/Secret' }) },
            404: notFound,
            409: errorResponse('An admin client, or a client that does not authenticate with a secret'),
          }),
        },
      },
      ...memberPaths({ responses, withBody, notFound, json }),
      ...staffPaths({ responses, withBody, notFound, json }),
      '/keys/rotate': {
        post: {
          operationId: 'rotateSigningKeys',
          summary: 'Rotate the signing keys: publish new ones now, sign with them later, retire the old ones after that',
          description: 'Adds one new key per algorithm (RS256, ES256, EdDSA) to the JWKS at once. Tokens are signed with them from '
            + '`active_from` (KEY_ROTATION_SIGN_DELAY_SECONDS later, 1 hour by default, so relying parties\' JWKS caches pick them up first); '
            + 'the keys they replace stay in the JWKS until `previous_keys_retire_at` (KEY_ROTATION_RETIRE_AFTER_SECONDS after that) so the '
            + 'tokens they signed still verify. Every instance on the same store follows within a minute. No body.',
          responses: responses({
            201: {
              description: 'Rotation scheduled',
              content: json({
                type: 'object',
                required: ['kids', 'published_at', 'active_from', 'previous_keys_retire_at'],
                properties: {
                  kids: { type: 'array', items: { type: 'string' }, description: 'The new keys\' kid values' },
                  published_at: { type: 'string', format: 'date-time' },
                  active_from: { type: 'string', format: 'date-time' },
                  previous_keys_retire_at: { type: 'string', format: 'date-time' },
                },
              }),
            },
          }),
        },
      },
      ...webhookPaths({ responses, withBody, notFound, json }),
      ...hookPaths({ responses, withBody, notFound, json, errorResponse }),
      ...heldRedemptionPaths({ responses, withBody, notFound, json, errorResponse }),
      ...mergePaths({ responses, withBody, notFound, json, errorResponse }),
      ...analyticsPaths({ responses, json }),
      ...consentPaths({ responses, withBody, notFound, json }),
      ...memberSupportPaths({ responses, withBody, notFound, json, errorResponse }),
      ...duplicatePaths({ responses, withBody, notFound, json }),
      '/openapi.json': {
        get: {
          operationId: 'openApiDocument',
          summary: 'This document',
          security: [],
          responses: { 200: { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        },
      },
    },
  };
}
