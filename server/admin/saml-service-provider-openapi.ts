// The /admin/saml-service-providers part of the admin OpenAPI document (issue 16 item 5: we are the SAML IdP of partners' SPs).
import type { OpenApiHelpers } from './webhook-openapi.ts';

const attributes = ['email', 'email_verified', 'given_name', 'family_name', 'birthdate', 'locale', 'phone_number', 'member_number', 'tier', 'points_balance', 'favourite_store'];

export const samlServiceProviderSchemas = {
  SamlServiceProviderInput: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'partner_id', 'entity_id', 'acs_urls'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 60, description: 'Shown to members on the consent page and the "Continue to <name>" page.' },
      partner_id: { type: 'string', description: 'The partner this SP belongs to: the NameID (persistent) is the pairwise `sub` the partner\'s OIDC clients get for the member.' },
      entity_id: { type: 'string', maxLength: 1000, description: 'The SP\'s entity id (the Issuer of its AuthnRequests, the Audience of our assertions). One registration per entity id (409 otherwise).' },
      acs_urls: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', format: 'uri' }, description: 'The SP\'s Assertion Consumer Service URLs (HTTP-POST binding). An AuthnRequest naming another is refused; the first is used for IdP-initiated sign-ins.' },
      signing_certificate: { type: 'string', description: 'PEM certificate: when given, the SP\'s AuthnRequests must be signed with its key (Redirect or POST binding).' },
      attributes: { type: 'array', items: { enum: attributes }, default: ['email'], description: 'Attributes released, each only when the member consented to its scope for this SP (our consent page asks once, like for an OIDC client).' },
    },
  },
  SamlServiceProvider: {
    type: 'object',
    required: ['id', 'name', 'partner_id', 'entity_id', 'acs_urls', 'signed_requests_required', 'attributes', 'scopes', 'idp_metadata_url', 'idp_sso_url', 'idp_initiated_url'],
    properties: {
      id: { type: 'string', description: 'Also the client id of the OIDC client the SP rides on (consent, sessions and grants are that client\'s).' },
      name: { type: 'string' },
      partner_id: { type: 'string' },
      entity_id: { type: 'string' },
      acs_urls: { type: 'array', items: { type: 'string', format: 'uri' } },
      signed_requests_required: { type: 'boolean' },
      attributes: { type: 'array', items: { type: 'string' } },
      scopes: { type: 'array', items: { type: 'string' }, description: 'The scopes the member is asked to consent to for this SP.' },
      idp_metadata_url: { type: 'string', format: 'uri', description: 'Our IdP metadata (entity id, SSO endpoints, signing certificate): give it to the SP\'s operator.' },
      idp_sso_url: { type: 'string', format: 'uri', description: 'Our SingleSignOnService (HTTP-Redirect and HTTP-POST).' },
      idp_initiated_url: { type: 'string', format: 'uri', description: 'A link that signs the member in to this SP from our side (IdP-initiated; optional ?RelayState=).' },
    },
  },
};

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The SAML service provider id' };

export function samlServiceProviderPaths({ responses, withBody, notFound, json, errorResponse }: OpenApiHelpers & { errorResponse(description: string): unknown }): Record<string, unknown> {
  return {
    '/saml-service-providers': {
      post: {
        operationId: 'createSamlServiceProvider',
        summary: 'Register a partner\'s SAML 2.0 service provider: we become its IdP (SP- and IdP-initiated Web SSO, signed Responses)',
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/SamlServiceProviderInput' }) },
        responses: withBody({ 201: { description: 'Registered', content: json({ $ref: '#/components/schemas/SamlServiceProvider' }) }, 409: errorResponse('This entity id is already registered') }),
      },
    },
    '/saml-service-providers/{id}': {
      parameters: [idParam],
      get: {
        operationId: 'readSamlServiceProvider',
        summary: 'Read a SAML service provider registration',
        responses: responses({ 200: { description: 'The SP', content: json({ $ref: '#/components/schemas/SamlServiceProvider' }) }, 404: notFound }),
      },
      delete: {
        operationId: 'deleteSamlServiceProvider',
        summary: 'Remove a SAML service provider (and the OIDC client it rides on)',
        responses: responses({ 204: { description: 'Deleted' }, 404: notFound }),
      },
    },
  };
}
