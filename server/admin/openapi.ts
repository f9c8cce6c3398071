// The OpenAPI 3.1 description of the admin API, served at /admin/openapi.json.
const error = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', examples: ['invalid_input'] },
    error_description: { type: 'string' },
    details: { type: 'object', properties: { fields: { type: 'object', additionalProperties: { type: 'string' } } } },
  },
};

const uri = { type: 'string', format: 'uri' };

const clientInput = {
  type: 'object',
  additionalProperties: false,
  properties: {
    client_id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{3,100}$', description: 'Generated when absent.' },
    client_name: { type: 'string', maxLength: 200 },
    redirect_uris: { type: 'array', items: uri, description: 'Exact match; https except on localhost/127.0.0.1/[::1]; no fragment.' },
    post_logout_redirect_uris: { type: 'array', items: uri },
    grant_types: { type: 'array', items: { enum: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] } },
    response_types: { type: 'array', items: { enum: ['code'] } },
    scope: { type: 'string', description: 'Space-separated; `admin` is refused.' },
    token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'], default: 'client_secret_basic' },
    application_type: { enum: ['web', 'native'], default: 'web' },
    id_token_signed_response_alg: { enum: ['RS256', 'ES256', 'EdDSA'], default: 'RS256' },
    subject_type: { enum: ['public', 'pairwise'] },
    sector_identifier_uri: uri,
    backchannel_logout_uri: uri,
    backchannel_logout_session_required: { type: 'boolean' },
    first_party: { type: 'boolean', description: 'Skip the consent page (the program owns this client).' },
    allowed_resources: { type: 'array', items: uri, description: 'Resource indicators this client may get JWT access tokens for.' },
    client_uri: uri,
    logo_uri: uri,
    policy_uri: uri,
    tos_uri: uri,
    jwks_uri: uri,
    jwks: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } } },
  },
};

const client = {
  allOf: [
    clientInput,
    {
      type: 'object',
      required: ['client_id', 'created_at', 'updated_at'],
      properties: { created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' } },
    },
  ],
};

const responses = (ok: Record<string, unknown>) => ({
  ...ok,
  400: { description: 'Invalid input (field errors in details.fields)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  401: { description: 'Missing, unknown or expired token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  403: { description: 'Token without the admin scope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
});

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const json = (schema: unknown) => ({ 'application/json': { schema } });

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Loyalty ID admin API', version: '1.0.0', description: 'Manage OIDC clients. Authorize with a client-credentials access token (scope `admin`) of the bootstrap admin client.' },
    servers: [{ url: '/admin' }],
    security: [{ adminToken: ['admin'] }],
    components: {
      securitySchemes: {
        adminToken: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/token', scopes: { admin: 'Manage clients' } } } },
      },
      schemas: {
        Error: error,
        ClientInput: clientInput,
        Client: client,
        ClientWithSecret: { allOf: [{ $ref: '#/components/schemas/Client' }, { type: 'object', properties: { client_secret: { type: 'string' } } }] },
      },
    },
    paths: {
      '/clients': {
        post: {
          summary: 'Register a client',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ClientInput' }) },
          responses: responses({
            201: { description: 'Created; the secret is shown only here', content: json({ $ref: '#/components/schemas/ClientWithSecret' }) },
            409: { description: 'client_id taken', content: json({ $ref: '#/components/schemas/Error' }) },
            413: { description: 'Body over 64 KB' },
            415: { description: 'Body not application/json' },
          }),
        },
        get: {
          summary: 'List clients',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
            { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The `next` value of the previous page' },
          ],
          responses: responses({
            200: { description: 'A page of clients', content: json({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Client' } }, next: { type: ['string', 'null'] } } }) },
          }),
        },
      },
      '/clients/{id}': {
        parameters: [idParam],
        get: { summary: 'Read a client', responses: responses({ 200: { description: 'The client', content: json({ $ref: '#/components/schemas/Client' }) }, 404: { description: 'No such client' } }) },
        put: {
          summary: 'Replace a client (the secret is kept)',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ClientInput' }) },
          responses: responses({ 200: { description: 'Replaced', content: json({ $ref: '#/components/schemas/Client' }) }, 404: { description: 'No such client' }, 409: { description: 'Admin clients cannot be changed here' } }),
        },
        delete: { summary: 'Delete a client', responses: responses({ 204: { description: 'Deleted' }, 404: { description: 'No such client' }, 409: { description: 'Admin clients cannot be deleted here' } }) },
      },
      '/clients/{id}/secret': {
        parameters: [idParam],
        post: {
          summary: 'Rotate the client secret; the old one stops working at once',
          responses: responses({ 200: { description: 'The new secret, shown once', content: json({ type: 'object', properties: { client_id: { type: 'string' }, client_secret: { type: 'string' } } }) }, 404: { description: 'No such client' } }),
        },
      },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}
