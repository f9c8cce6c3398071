// A partner's SAML 2.0 service provider we are the IdP for (issue 16 item 5): what the admin API accepts, and how it rides on an OIDC client.
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { CLAIMS } from '../../../config/provider.ts';
import { textField } from '../text.ts';

/** The attributes a SAML SP may be released (each only when the member consented to its scope for that SP). */
export const RELEASABLE_ATTRIBUTES = ['email', 'email_verified', 'given_name', 'family_name', 'birthdate', 'locale', 'phone_number', 'member_number', 'tier', 'points_balance', 'favourite_store'] as const;

/** The scope whose consent releases each attribute (config/provider.ts CLAIMS). */
export function scopeOfAttribute(attribute: string): string | undefined {
  return Object.entries(CLAIMS).find(([, claims]) => (claims as readonly string[]).includes(attribute))?.[0];
}

const absoluteUrl = z.string().max(2000).refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) && !new URL(value).hash, 'must be an absolute http(s) URL without fragment');

const pem = z.string().max(20_000).refine((value) => {
  try {
    return new Date(new X509Certificate(value).validTo) > new Date();
  } catch {
    return false;
  }
}, 'must be a PEM certificate that has not expired');

export const samlServiceProviderInput = z.object({
  name: textField(60),
  /** The partner whose members' NameIDs this SP gets: the same pairwise value as that partner's OIDC `sub`. */
  partner_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a partner id'),
  entity_id: z.string().min(1).max(1000).regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
  /** The SP's Assertion Consumer Service URLs (HTTP-POST): an AuthnRequest may name only one of these; the first is the default. */
  acs_urls: z.array(absoluteUrl).min(1).max(10),
  /** When given, the SP's AuthnRequests must be signed with it. */
  signing_certificate: pem.optional(),
  attributes: z.array(z.enum(RELEASABLE_ATTRIBUTES)).max(RELEASABLE_ATTRIBUTES.length).default(['email']),
}).strict();
export type SamlServiceProviderInput = z.output<typeof samlServiceProviderInput>;

/** What the backing OIDC client carries in its `saml_sp` metadata. */
export const samlServiceProviderSettings = z.object({
  entity_id: z.string(),
  acs_urls: z.array(z.string()).min(1),
  signing_certificate: z.string().optional(),
  attributes: z.array(z.string()),
});
export type SamlServiceProviderSettings = z.output<typeof samlServiceProviderSettings>;

/** One client per entity id: its id is derived from the entity id, so the SSO endpoint finds it directly. */
export function samlClientId(entityId: string): string {
  return `saml-${createHash('sha256').update(entityId).digest('base64url').slice(0, 32)}`;
}

/** The scopes to ask consent for: openid and the scopes of the released attributes. */
export function scopesFor(settings: SamlServiceProviderSettings): string[] {
  return ['openid', ...new Set(settings.attributes.map(scopeOfAttribute).filter((scope): scope is string => scope !== undefined && scope !== 'openid'))];
}
