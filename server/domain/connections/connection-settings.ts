// The settings of each connection kind (zod): what the admin API accepts and what the store holds.
import { z } from 'zod';
import { textField } from '../text.ts';

/** Upstream metadata we keep from discovery, so sign-in does not depend on fetching it again. */
export const discoveredMetadata = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
  userinfo_endpoint: z.string().url().optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
});
export type DiscoveredMetadata = z.infer<typeof discoveredMetadata>;

/** A lowercase DNS name (IDNs in their A-label form): an email domain routed to an enterprise IdP. */
export const emailDomain = z.string().max(253).transform((value) => value.trim().toLowerCase())
  .pipe(z.string().regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])$/, 'must be a domain name such as partner.example'));

/** Our profile field (`given_name`, `address.postal_code`) ← the upstream claim that fills it when empty. */
export const claimMapping = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?$/, 'must be a profile field name'),
  z.string().regex(/^[A-Za-z0-9_:.\-/]{1,200}$/, 'must be a claim name'),
).refine((mapping) => Object.keys(mapping).length <= 30, 'at most 30 mapped fields');

const scopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'must be a scope token');

/** The fields of a generic OpenID Connect upstream, without defaults (PATCH takes any subset of them). */
const oidcFields = {
  name: textField(60),
  issuer: z.string().max(500).refine((value) => URL.canParse(value), 'must be an absolute https URL')
    .refine((value) => !URL.canParse(value) || (!new URL(value).search && !new URL(value).hash), 'must have no query or fragment'),
  client_id: z.string().min(1).max(500).regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
  client_secret: z.string().min(1).max(2000),
  scopes: z.array(scopeToken).min(1).max(20).refine((scopes) => scopes.includes('openid'), 'must include openid'),
  claim_mapping: claimMapping,
  /** The upstream's email_verified is believed: its verified addresses need no code from us. */
  trusted_email: z.boolean(),
  /** The upstream's amr/acr saying MFA is believed: a sign-in through it may count as two factor classes. */
  trusted_mfa: z.boolean(),
  /** Home-realm discovery: emails at these domains are sent to this connection from the sign-in page. */
  domains: z.array(emailDomain).max(50),
};

/**
 * Generic OpenID Connect upstream, as the admin API takes it (client_secret in clear; the store seals it).
 * connection-handlers.ts adds the discovered metadata before storing.
 */
export const oidcConnectionInput = z.object({
  kind: z.literal('oidc'),
  ...oidcFields,
  client_secret: oidcFields.client_secret.optional(),
  scopes: oidcFields.scopes.default(['openid', 'email', 'profile']),
  claim_mapping: oidcFields.claim_mapping.default({}),
  trusted_email: oidcFields.trusted_email.default(false),
  trusted_mfa: oidcFields.trusted_mfa.default(false),
  domains: oidcFields.domains.default([]),
}).strict();
export type OidcConnectionInput = z.output<typeof oidcConnectionInput>;

/** Google's issuer: a `google` connection is an `oidc` one with this issuer preset. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';

/**
 * Google: no issuer to type. `issuer` is accepted only outside production, where tests point the preset at a
 * local upstream (connection-handlers.ts refuses it in production).
 */
export const googleConnectionInput = oidcConnectionInput.extend({
  kind: z.literal('google'),
  name: oidcFields.name.default('Google'),
  issuer: oidcFields.issuer.optional(),
});

/** Any kind the admin API creates, told apart by `kind`. */
export const connectionInput = z.discriminatedUnion('kind', [oidcConnectionInput, googleConnectionInput]);

/** PATCH: any subset of the fields but the kind (a connection never changes kind); client_secret null removes it. */
export const oidcConnectionPatch = z.object({ ...oidcFields, client_secret: oidcFields.client_secret.nullable() }).partial().strict();
export type OidcConnectionPatch = z.output<typeof oidcConnectionPatch>;

/** What the store holds for an `oidc` connection (settings of StoredConnection). */
export const oidcConnectionSettings = z.object({
  issuer: z.string(),
  client_id: z.string(),
  client_secret: z.string().optional(),
  scopes: z.array(z.string()),
  claim_mapping: z.record(z.string(), z.string()),
  trusted_email: z.boolean(),
  trusted_mfa: z.boolean(),
  domains: z.array(z.string()),
  metadata: discoveredMetadata,
});
export type OidcConnectionSettings = z.output<typeof oidcConnectionSettings>;
