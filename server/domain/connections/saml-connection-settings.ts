// The `saml` connection kind (we are the SAML 2.0 service provider): what the admin API accepts and what the store holds.
import { z } from 'zod';
import { textField } from '../text.ts';
import { claimMapping, emailDomain } from './connection-settings.ts';

/** A metadata document is a few kB (a handful of certificates); a megabyte is not an honest one. */
export const MAX_SAML_METADATA_BYTES = 256 * 1024;

const metadataUrl = z.string().max(2000).refine((value) => URL.canParse(value), 'must be an absolute https URL');
const metadataXml = z.string().min(1).max(MAX_SAML_METADATA_BYTES);

/** The settings every kind shares with `oidc` (linking rules, home-realm discovery), without defaults for PATCH. */
const samlFields = {
  name: textField(60),
  claim_mapping: claimMapping,
  trusted_email: z.boolean(),
  trusted_mfa: z.boolean(),
  domains: z.array(emailDomain).max(50),
  /**
   * The attribute holding the member's email; without it: the usual names (mail, email, the eduPerson OID,
   * the WS-Federation claim URI), then the NameID when its format is emailAddress.
   */
  email_attribute: z.string().regex(/^[A-Za-z0-9_:.\-/]{1,200}$/, 'must be an attribute name'),
  /** Ask the IdP to encrypt assertions to a key of ours (made per connection, sealed at rest, published in our SP metadata). */
  encrypt_assertions: z.boolean(),
};

/** POST /admin/connections with kind saml: the IdP's metadata by URL (fetched through the outbound client) or as XML. */
export const samlConnectionInput = z.object({
  kind: z.literal('saml'),
  ...samlFields,
  metadata_url: metadataUrl.optional(),
  metadata_xml: metadataXml.optional(),
  claim_mapping: samlFields.claim_mapping.default({}),
  trusted_email: samlFields.trusted_email.default(false),
  trusted_mfa: samlFields.trusted_mfa.default(false),
  domains: samlFields.domains.default([]),
  email_attribute: samlFields.email_attribute.optional(),
  encrypt_assertions: samlFields.encrypt_assertions.default(false),
}).strict()
  .refine((input) => (input.metadata_url === undefined) !== (input.metadata_xml === undefined), { message: 'give exactly one of metadata_url and metadata_xml', path: ['metadata_xml'] });
export type SamlConnectionInput = z.output<typeof samlConnectionInput>;

/** PATCH of a saml connection: new metadata (by URL or XML) is imported and checked again before it is stored. */
export const samlConnectionPatch = z.object({
  ...samlFields,
  email_attribute: samlFields.email_attribute.nullable(),
  metadata_url: metadataUrl,
  metadata_xml: metadataXml,
}).partial().strict()
  .refine((input) => input.metadata_url === undefined || input.metadata_xml === undefined, { message: 'give at most one of metadata_url and metadata_xml', path: ['metadata_xml'] });
export type SamlConnectionPatch = z.output<typeof samlConnectionPatch>;

/** What we keep of the IdP's metadata: sign-in never depends on fetching it again. */
export const samlIdpMetadata = z.object({
  entity_id: z.string(),
  /** SingleSignOnService locations per binding we speak (at least one of them). */
  sso_redirect: z.string().optional(),
  sso_post: z.string().optional(),
  /** The IdP's signing certificates (PEM): an assertion must be signed by one of them. */
  signing_certificates: z.array(z.string()).min(1),
});
export type SamlIdpMetadata = z.output<typeof samlIdpMetadata>;

/** What the store holds for a `saml` connection (settings of StoredConnection). */
export const samlConnectionSettings = z.object({
  idp: samlIdpMetadata,
  metadata_url: z.string().optional(),
  claim_mapping: z.record(z.string(), z.string()),
  trusted_email: z.boolean(),
  trusted_mfa: z.boolean(),
  domains: z.array(z.string()),
  email_attribute: z.string().optional(),
  /** Our encryption certificate and key for this connection (the key sealed at rest by sealed-connection-secrets.ts). */
  sp_encryption_certificate: z.string().optional(),
  sp_encryption_key: z.string().optional(),
});
export type SamlConnectionSettings = z.output<typeof samlConnectionSettings>;
