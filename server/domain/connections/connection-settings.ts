// The settings of each connection kind (zod): what the admin API accepts and what the store holds.
import { z } from 'zod';
import { textField } from '../text.ts';
import { isP256PrivateKeyPem } from './apple-client-secret.ts';

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

/** Microsoft Entra ID's issuer template: the ID token's own `tid` fills `{tenantid}` (microsoft-tenant.ts). */
export const MICROSOFT_ISSUER_TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0';
/** The placeholder the template carries (Entra's discovery document for `common` names it literally). */
export const TENANT_PLACEHOLDER = '{tenantid}';
/** Entra's tenant aliases: any tenant, work/school accounts only, personal Microsoft accounts only. */
export const MICROSOFT_TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A tenant id (GUID, lowercased) or one of Entra's aliases. */
const microsoftTenant = z.string().max(36).transform((value) => value.trim().toLowerCase())
  .pipe(z.string().refine((value) => GUID.test(value) || (MICROSOFT_TENANT_ALIASES as readonly string[]).includes(value), 'must be a tenant id (GUID) or common, organizations or consumers'));

/** An issuer template: an absolute URL whose path holds `{tenantid}` once (tests point it at a local upstream). */
const issuerTemplate = z.string().max(500)
  .refine((value) => value.split(TENANT_PLACEHOLDER).length === 2 && URL.canParse(value.replace(TENANT_PLACEHOLDER, 'tenant')), 'must be an absolute URL holding {tenantid} once')
  .refine((value) => !URL.canParse(value.replace(TENANT_PLACEHOLDER, 'tenant')) || (!new URL(value.replace(TENANT_PLACEHOLDER, 'tenant')).search && !new URL(value.replace(TENANT_PLACEHOLDER, 'tenant')).hash), 'must have no query or fragment');

/**
 * Microsoft Entra ID (multi-tenant): `tenant` says whose accounts may sign in; the issuer is Entra's template,
 * accepted only outside production as a test's local upstream (connection-handlers.ts refuses it in production).
 */
export const microsoftConnectionInput = oidcConnectionInput.extend({
  kind: z.literal('microsoft'),
  name: oidcFields.name.default('Microsoft'),
  issuer: issuerTemplate.optional(),
  tenant: microsoftTenant.default('common'),
});

/** Apple's issuer: an `apple` connection's ID tokens come from here, and its client secret names it as audience. */
export const APPLE_ISSUER = 'https://appleid.apple.com';

/** Apple's ten-character team and key identifiers (developer account, Sign in with Apple key). */
const appleIdentifier = z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character identifier Apple shows (A-Z, 0-9)');

/** The Sign in with Apple key: a PKCS#8 PEM of an EC P-256 private key (what Apple's .p8 file holds). */
const applePrivateKey = z.string().max(4000).refine(isP256PrivateKeyPem, 'must be an EC P-256 private key in PEM (the .p8 file Apple gives)');

/** Apple's fields: the client secret is not typed but made from these (apple-client-secret.ts). */
const appleFields = {
  team_id: appleIdentifier,
  key_id: appleIdentifier,
  private_key: applePrivateKey,
};

/**
 * Sign in with Apple: client_id is the Services ID; the client secret is an ES256 JWT we sign with the team's
 * key at each token request. `issuer` is accepted only outside production (a test's local upstream).
 */
export const appleConnectionInput = oidcConnectionInput.omit({ client_secret: true }).extend({
  kind: z.literal('apple'),
  name: oidcFields.name.default('Apple'),
  issuer: oidcFields.issuer.optional(),
  // Apple's scopes: the name and email are asked for, and then answered by a form POST (response_mode=form_post).
  scopes: oidcFields.scopes.default(['openid', 'email', 'name']),
  // What Apple sends once, on the first sign-in, in its `user` form field (upstream-oidc.ts).
  claim_mapping: oidcFields.claim_mapping.default({ given_name: 'given_name', family_name: 'family_name' }),
  ...appleFields,
});

/** PATCH of an apple connection: the oidc fields but the secret, and Apple's own. */
export const appleConnectionPatch = z.object({ ...oidcFields, ...appleFields }).omit({ client_secret: true }).partial().strict();

/** Facebook Login: OAuth 2.0 on facebook.com, the member read from the Graph API's `me` (no ID token). */
export const FACEBOOK_DIALOG_BASE = 'https://www.facebook.com';
export const FACEBOOK_GRAPH_BASE = 'https://graph.facebook.com';

/** Facebook's scope tokens (no openid: this is OAuth 2.0, not OpenID Connect). */
const facebookScopes = z.array(scopeToken).min(1).max(20);

/** The Graph API version the dialog, token and `me` URLs are pinned to (Facebook retires old ones). */
const graphVersion = z.string().regex(/^v\d{1,3}\.\d{1,2}$/, 'must be a Graph API version such as v21.0');

/** A test's local stand-in for both facebook.com and graph.facebook.com (refused in production). */
const facebookBaseUrl = oidcFields.issuer;

/**
 * Facebook: client_id is the app id, client_secret the app secret (required: the token request and every
 * Graph call's appsecret_proof need it). No trusted_mfa: Facebook says nothing about how the member signed in.
 */
export const facebookConnectionInput = z.object({
  kind: z.literal('facebook'),
  name: oidcFields.name.default('Facebook'),
  client_id: oidcFields.client_id,
  client_secret: oidcFields.client_secret,
  scopes: facebookScopes.default(['email', 'public_profile']),
  claim_mapping: oidcFields.claim_mapping.default({ given_name: 'first_name', family_name: 'last_name' }),
  trusted_email: oidcFields.trusted_email.default(false),
  domains: oidcFields.domains.default([]),
  graph_version: graphVersion.default('v21.0'),
  base_url: facebookBaseUrl.optional(),
}).strict();

/** PATCH of a facebook connection. */
export const facebookConnectionPatch = z.object({
  name: oidcFields.name, client_id: oidcFields.client_id, client_secret: oidcFields.client_secret, scopes: facebookScopes,
  claim_mapping: oidcFields.claim_mapping, trusted_email: oidcFields.trusted_email, domains: oidcFields.domains, graph_version: graphVersion,
}).partial().strict();

/** The endpoints of Facebook Login and the Graph API at a version (base_url: a test's stand-in for both hosts). */
export function facebookMetadata(version: string, baseUrl?: string): DiscoveredMetadata & { userinfo_endpoint: string } {
  const dialog = baseUrl ?? FACEBOOK_DIALOG_BASE;
  const graph = baseUrl ?? FACEBOOK_GRAPH_BASE;
  return {
    issuer: dialog,
    authorization_endpoint: `${dialog}/${version}/dialog/oauth`,
    token_endpoint: `${graph}/${version}/oauth/access_token`,
    // Facebook's Limited Login keys: unused here (no ID token), kept so every kind stores the same metadata shape.
    jwks_uri: `${dialog}/.well-known/oauth/openid/jwks/`,
    userinfo_endpoint: `${graph}/${version}/me`,
    code_challenge_methods_supported: ['S256'],
  };
}

/** Any kind the admin API creates, told apart by `kind`. */
export const connectionInput = z.discriminatedUnion('kind', [oidcConnectionInput, googleConnectionInput, microsoftConnectionInput, appleConnectionInput, facebookConnectionInput]);

/** PATCH of a microsoft connection: the oidc fields (the issuer as a template) and its tenant. */
export const microsoftConnectionPatch = z.object({ ...oidcFields, issuer: issuerTemplate, tenant: microsoftTenant, client_secret: oidcFields.client_secret.nullable() }).partial().strict();
export type MicrosoftConnectionPatch = z.output<typeof microsoftConnectionPatch>;

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
  /**
   * Microsoft only: the tenant (GUID or alias) whose ID tokens are accepted; `issuer` is then a template whose
   * `{tenantid}` each ID token's own `tid` fills (upstream-oidc.ts). Absent for every other kind.
   */
  tenant: z.string().optional(),
  /** Apple only: the answer comes back as a form POST to the callback (and the name only in it, once). */
  response_mode: z.literal('form_post').optional(),
  /** Apple only: what the ES256 client secret is made from (the private key sealed at rest like client_secret). */
  team_id: z.string().optional(),
  key_id: z.string().optional(),
  private_key: z.string().optional(),
  /** Facebook only: no ID token; the member is read from the Graph API's `me` (metadata.userinfo_endpoint). */
  profile_api: z.literal('facebook_graph').optional(),
  graph_version: z.string().optional(),
});
export type OidcConnectionSettings = z.output<typeof oidcConnectionSettings>;
