// The /admin/connections part of the admin OpenAPI document (issue 16): paths and schemas, with the shared helpers passed in.
import type { OpenApiHelpers } from './webhook-openapi.ts';

/** Mirrors server/domain/connections/connection-settings.ts (the zod schema there is what decides). */
const connectionProperties = {
  name: { type: 'string', minLength: 1, maxLength: 60, description: 'Shown to members as "Continue with <name>". Free text: no control or bidirectional-formatting characters.' },
  issuer: { type: 'string', format: 'uri', maxLength: 500, description: 'The upstream OpenID provider\'s issuer. Its discovery document (<issuer>/.well-known/openid-configuration) is read at once through the outbound client (https only in production, no private addresses, no redirects) and must name this very issuer; otherwise 400 with details.fields.issuer.' },
  client_id: { type: 'string', minLength: 1, maxLength: 500, description: 'Our client id at the upstream.' },
  client_secret: { type: 'string', minLength: 1, maxLength: 2000, description: 'Our client secret at the upstream; sealed at rest and never returned (has_client_secret says whether one is set). Absent for a public client (PKCE only).' },
  scopes: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string' }, default: ['openid', 'email', 'profile'], description: 'Must include openid.' },
  claim_mapping: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 30, description: 'Our profile field (e.g. given_name, address.postal_code) → the upstream claim that fills it. Mapped claims only fill empty fields.' },
  trusted_email: { type: 'boolean', default: false, description: 'Believe the upstream\'s email_verified: its verified addresses need no emailed code from us. An address that is already a member\'s is never linked without that member proving the account.' },
  trusted_mfa: { type: 'boolean', default: false, description: 'Believe the upstream\'s amr/acr when it says a second factor was used.' },
  domains: { type: 'array', maxItems: 50, items: { type: 'string' }, default: [], description: 'Email domains routed to this connection from the sign-in page (home-realm discovery); one domain routes to one connection (409 otherwise).' },
  team_id: { type: 'string', pattern: '^[A-Z0-9]{10}$', description: 'kind apple only: the Apple developer team id (the client secret JWT\'s iss).' },
  key_id: { type: 'string', pattern: '^[A-Z0-9]{10}$', description: 'kind apple only: the id of the Sign in with Apple key (the client secret JWT\'s kid).' },
  private_key: { type: 'string', maxLength: 4000, writeOnly: true, description: 'kind apple only: the Sign in with Apple key, the PEM (PKCS#8) of an EC P-256 private key as Apple\'s .p8 file holds it; anything else is a 400 with details.fields.private_key. Sealed at rest and never returned (has_private_key). A fresh ES256 client secret (iss team_id, sub client_id, aud https://appleid.apple.com, 5 minutes) is signed with it at each token request.' },
  graph_version: { type: 'string', pattern: '^v\\d{1,3}\\.\\d{1,2}$', default: 'v21.0', description: 'kind facebook only: the Graph API version the dialog, token and me URLs use.' },
  base_url: { type: 'string', format: 'uri', writeOnly: true, description: 'kind facebook only, tests only (refused in production): one local stand-in for www.facebook.com and graph.facebook.com.' },
  tenant: { type: 'string', default: 'common', description: 'kind microsoft only: whose Entra ID accounts may sign in: a tenant id (GUID), `common` (any), `organizations` (work or school accounts) or `consumers` (personal Microsoft accounts). Each ID token must name the issuer https://login.microsoftonline.com/<its tid>/v2.0 and its tid must be accepted here. Anything else is a 400 with details.fields.tenant.' },
};

const connection = {
  type: 'object',
  required: ['id', 'kind', 'name', 'issuer', 'client_id', 'has_client_secret', 'scopes', 'claim_mapping', 'trusted_email', 'trusted_mfa', 'domains', 'redirect_uri', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    kind: { enum: ['oidc', 'google', 'microsoft', 'apple', 'facebook'], description: 'facebook: OAuth 2.0 with Facebook Login and the Graph API me (no ID token: the subject is the Graph id; client_secret, the app secret, required). google: oidc with the issuer https://accounts.google.com preset. microsoft: Entra ID, issuer template https://login.microsoftonline.com/{tenantid}/v2.0 preset, with `tenant`. apple: issuer https://appleid.apple.com preset, answer by form POST, client secret made from team_id, key_id and private_key. A saml connection is answered as SamlConnection.' },
    has_private_key: { type: 'boolean', description: 'kind apple only.' },
    ...connectionProperties,
    has_client_secret: { type: 'boolean' },
    redirect_uri: { type: 'string', format: 'uri', description: 'The callback URL to register at the upstream.' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

export const connectionSchemas = {
  ConnectionInput: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'client_id'],
    description: 'kind oidc needs name and issuer; kind google presets both (name "Google"; issuer https://accounts.google.com); kind microsoft presets name "Microsoft" and the issuer template https://login.microsoftonline.com/{tenantid}/v2.0, and takes `tenant`; kind apple presets name "Apple", the issuer https://appleid.apple.com, scopes openid email name and the mapping of the first sign-in\'s name to given_name/family_name, takes team_id, key_id and private_key (all three required) and no client_secret; kind facebook presets name "Facebook", scopes email public_profile and the mapping of first_name/last_name, needs client_id (app id) and client_secret (app secret), takes no issuer, tenant or trusted_mfa. Only a non-production server lets a test override a preset issuer (a microsoft one must hold {tenantid}).',
    properties: { kind: { enum: ['oidc', 'google', 'microsoft', 'apple', 'facebook'] }, ...connectionProperties },
  },
  ConnectionPatch: { type: 'object', additionalProperties: false, properties: { ...connectionProperties, client_secret: { type: ['string', 'null'], description: 'A new secret, or null to remove it.' } } },
  Connection: connection,
  ConnectionPage: {
    type: 'object',
    required: ['items', 'next'],
    properties: {
      items: { type: 'array', items: { oneOf: [{ $ref: '#/components/schemas/Connection' }, { $ref: '#/components/schemas/SamlConnection' }] } },
      next: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null on the last page.' },
    },
  },
};

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The connection id' };

export function connectionPaths({ responses, withBody, notFound, json, errorResponse }: OpenApiHelpers & { errorResponse(description: string): unknown }): Record<string, unknown> {
  return {
      '/connections': {
        post: {
          operationId: 'createConnection',
          summary: 'Add an upstream identity provider members can sign in with ("Continue with <name>" on the sign-in and sign-up pages)',
          description: 'Reads the issuer\'s discovery document first: a bad issuer, unreachable metadata, an invalid certificate or metadata naming another issuer is a 400 with details.fields.issuer. '
            + 'kind saml imports the IdP\'s SAML metadata (metadata_url or metadata_xml; bad XML, no signing certificate or an expired one is a 400 naming that field) and answers our SP metadata_url and acs_url. '
            + 'Shown to every client unless a client\'s `connections` metadata lists the ids it shows.',
          requestBody: { required: true, content: json({ oneOf: [{ $ref: '#/components/schemas/ConnectionInput' }, { $ref: '#/components/schemas/SamlConnectionInput' }] }) },
          responses: withBody({ 201: { description: 'Created', content: json({ oneOf: [{ $ref: '#/components/schemas/Connection' }, { $ref: '#/components/schemas/SamlConnection' }] }) }, 409: errorResponse('An email domain already routes to another connection') }),
        },
        get: {
          operationId: 'listConnections',
          summary: 'List connections, oldest first (never their secrets)',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
            { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The `next` value of the previous page' },
          ],
          responses: responses({ 200: { description: 'A page of connections', content: json({ $ref: '#/components/schemas/ConnectionPage' }) }, 400: { $ref: '#/components/responses/InvalidInput' } }),
        },
      },
      '/connections/{id}': {
        parameters: [idParam],
        get: {
          operationId: 'readConnection',
          summary: 'Read a connection (never its secret)',
          responses: responses({ 200: { description: 'The connection', content: json({ oneOf: [{ $ref: '#/components/schemas/Connection' }, { $ref: '#/components/schemas/SamlConnection' }] }) }, 404: notFound }),
        },
        patch: {
          operationId: 'updateConnection',
          summary: 'Change some fields of a connection (not its kind); a new issuer is discovered again',
          requestBody: { required: true, content: json({ oneOf: [{ $ref: '#/components/schemas/ConnectionPatch' }, { $ref: '#/components/schemas/SamlConnectionPatch' }] }) },
          responses: withBody({ 200: { description: 'Updated', content: json({ oneOf: [{ $ref: '#/components/schemas/Connection' }, { $ref: '#/components/schemas/SamlConnection' }] }) }, 404: notFound, 409: errorResponse('An email domain already routes to another connection') }),
        },
        delete: {
          operationId: 'deleteConnection',
          summary: 'Delete a connection; members can no longer sign in through it',
          responses: responses({ 204: { description: 'Deleted' }, 404: notFound }),
        },
      },
  };
}
