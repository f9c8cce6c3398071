// The saml kind of /admin/connections in the admin OpenAPI document (we are the SAML 2.0 SP of the partner's IdP).
/** Mirrors server/domain/connections/saml-connection-settings.ts (the zod schema there is what decides). */
const samlProperties = {
  name: { type: 'string', minLength: 1, maxLength: 60, description: 'Shown to members as "Continue with <name>".' },
  metadata_url: { type: 'string', format: 'uri', maxLength: 2000, description: 'The IdP\'s SAML metadata, fetched at once through the outbound client (https only in production, no private addresses, no redirects). Give this or metadata_xml.' },
  metadata_xml: { type: 'string', maxLength: 262144, description: 'The IdP\'s SAML metadata document itself. It must name an entityID, a SingleSignOnService with the HTTP-Redirect or HTTP-POST binding, and at least one signing certificate inside its validity period; otherwise 400 with details.fields.metadata_xml (or metadata_url).' },
  claim_mapping: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 30, description: 'Our profile field (e.g. given_name) → the SAML attribute Name that fills it when empty.' },
  trusted_email: { type: 'boolean', default: false, description: 'Believe the email the IdP asserts: it needs no emailed code from us. An address that is already a member\'s is never linked without that member proving the account.' },
  trusted_mfa: { type: 'boolean', default: false, description: 'Believe an AuthnContextClassRef saying MFA (loa:2 instead of loa:1).' },
  domains: { type: 'array', maxItems: 50, items: { type: 'string' }, default: [], description: 'Email domains routed to this connection from the sign-in page (home-realm discovery).' },
  encrypt_assertions: { type: 'boolean', default: false, description: 'Make an encryption key for this connection (sealed at rest) and publish its certificate in our SP metadata, so the IdP can encrypt assertions (which must still be signed). Plain assertions stay accepted.' },
  email_attribute: { type: 'string', maxLength: 200, description: 'The attribute carrying the email. Default: mail, email, urn:oid:0.9.2342.19200300.100.1.3 or the WS-Federation emailaddress claim, then an emailAddress-format NameID.' },
};

export const samlConnectionSchemas = {
  SamlConnectionInput: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'name'],
    description: 'A SAML 2.0 IdP (Entra ID, ADFS, Okta...). Members are linked by the NameID (ask the IdP for a persistent one). Signed assertions are required.',
    properties: { kind: { const: 'saml' }, ...samlProperties },
  },
  SamlConnectionPatch: {
    type: 'object',
    additionalProperties: false,
    description: 'New metadata (a rolled-over certificate) is imported and checked again; email_attribute null removes it.',
    properties: { ...samlProperties, email_attribute: { type: ['string', 'null'] } },
  },
  SamlConnection: {
    type: 'object',
    required: ['id', 'kind', 'name', 'idp_entity_id', 'idp_sso_bindings', 'idp_certificates_expire_at', 'claim_mapping', 'trusted_email', 'trusted_mfa', 'domains', 'encrypt_assertions', 'entity_id', 'metadata_url', 'acs_url', 'created_at', 'updated_at'],
    properties: {
      id: { type: 'string' },
      kind: { const: 'saml' },
      name: samlProperties.name,
      idp_entity_id: { type: 'string' },
      idp_sso_bindings: { type: 'array', items: { enum: ['HTTP-Redirect', 'HTTP-POST'] }, description: 'How our AuthnRequest is sent: HTTP-Redirect when offered, else HTTP-POST.' },
      idp_certificates_expire_at: { type: 'array', items: { type: 'string', format: 'date-time' }, description: 'When each trusted IdP signing certificate expires: import new metadata before.' },
      metadata_url_imported: { type: 'string', format: 'uri', description: 'The metadata URL the IdP was imported from, if any.' },
      claim_mapping: samlProperties.claim_mapping,
      trusted_email: { type: 'boolean' },
      trusted_mfa: { type: 'boolean' },
      domains: { type: 'array', items: { type: 'string' } },
      email_attribute: { type: 'string' },
      encrypt_assertions: { type: 'boolean' },
      entity_id: { type: 'string', format: 'uri', description: 'Our SP entity id for this connection (the audience the IdP must name).' },
      metadata_url: { type: 'string', format: 'uri', description: 'Our SP metadata for this connection (GET, public): give it to the IdP\'s operator.' },
      acs_url: { type: 'string', format: 'uri', description: 'Our Assertion Consumer Service (HTTP-POST binding) for this connection.' },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
};
