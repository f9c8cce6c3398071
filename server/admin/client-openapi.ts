// The admin API's client schemas in the OpenAPI document (openapi.ts): what POST/PUT /admin/clients take and answer.

const uri = { type: 'string', format: 'uri' };

/** Mirrors client-input.ts (the zod schema is what actually decides). */
const clientProperties = {
  client_id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{3,100}$', description: 'Generated when absent. Ids starting with "loyalty-" (the provider\'s own clients, such as the account console) and the bootstrap admin\'s id are reserved (400).' },
  client_name: { type: 'string', minLength: 1, maxLength: 200, description: 'Free text: no control or bidirectional-formatting characters; stored trimmed, in NFC.' },
  redirect_uris: { type: 'array', maxItems: 50, items: uri, description: 'Exact match; https except http on localhost/127.0.0.1/[::1] (any port); no fragment; private-use schemes (com.example.app:/callback) for native apps only. Required for authorization_code.' },
  post_logout_redirect_uris: { type: 'array', maxItems: 50, items: uri, description: 'Same rules as redirect_uris.' },
  grant_types: { type: 'array', minItems: 1, default: ['authorization_code'], items: { enum: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] } },
  response_types: { type: 'array', maxItems: 1, items: { enum: ['code'] }, description: 'Defaults to ["code"] with authorization_code, else [].' },
  scope: { type: 'string', description: 'Space-separated; `admin` is refused.' },
  token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'], default: 'client_secret_basic', description: 'client_secret_* get a generated secret; callers cannot choose it.' },
  application_type: { enum: ['web', 'native'], default: 'web' },
  id_token_signed_response_alg: { enum: ['RS256', 'ES256', 'EdDSA'], default: 'RS256' },
  subject_type: { enum: ['public', 'pairwise'] },
  sector_identifier_uri: uri,
  backchannel_logout_uri: uri,
  backchannel_logout_session_required: { type: 'boolean' },
  first_party: { type: 'boolean', description: 'Skip the consent page (the program owns this client).' },
  require_mfa: { type: 'boolean', description: 'Every sign-in for this client needs a second factor (acr urn:loyalty:loa:2).' },
  enrolment_channel: { type: 'string', enum: ['web', 'app', 'kiosk', 'partner'], description: 'Recorded on members who sign up through this client (default web).' },
  required_claims: { type: 'array', maxItems: 10, items: { type: 'string' }, description: 'Profile fields this client needs (e.g. address.postal_code): members without them are asked on the profile page before coming back.' },
  required_purposes: { type: 'array', maxItems: 20, items: { type: 'string' }, description: 'Purpose ids (GET /admin/consent-purposes) this client needs an answer to: members who have not answered the current version are asked before coming back; a refusal is an answer.' },
  connections: { type: 'array', maxItems: 50, items: { type: 'string' }, description: 'The connection ids whose "Continue with" buttons this client\'s sign-in pages show; absent: every connection.' },
  partner_id: { type: 'string', description: 'The partner (organization) this client belongs to: its members get one pairwise sub per partner, and the partner API serves only them.' },
  allowed_resources: { type: 'array', maxItems: 20, items: uri, description: 'Resource indicators this client may get JWT access tokens for.' },
  client_uri: uri,
  logo_uri: uri,
  policy_uri: uri,
  tos_uri: uri,
  jwks_uri: uri,
  jwks: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', maxItems: 20, items: { type: 'object' } } }, description: 'Public keys for private_key_jwt; not with jwks_uri.' },
};

export const clientInput = { type: 'object', additionalProperties: false, properties: clientProperties };

// Not an allOf over ClientInput: its additionalProperties: false would reject the timestamps.
export const clientSchema = {
  type: 'object',
  required: ['client_id', 'created_at', 'updated_at'],
  properties: {
    ...clientProperties,
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};
