// The client metadata the admin API and the operator console accept: zod at the edge, then our redirect rules, then
// oidc-provider's own validation (server/domain/clients/client-registration.ts).
import { z } from 'zod';
import { ENROLMENT_CHANNELS } from '../../../config/provider.ts';
import { FORBIDDEN_CHARACTERS_MESSAGE, hasForbiddenCharacters, textField } from '../text.ts';

// Before URL.canParse: the URL parser silently drops tabs and newlines and trims controls, so a stored URI
// would not be the one that was checked.
const absoluteUri = z.string().max(2000)
  .refine((v) => !hasForbiddenCharacters(v), FORBIDDEN_CHARACTERS_MESSAGE)
  .refine((v) => URL.canParse(v), 'must be an absolute URI');

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'] as const;

export const clientInput = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._~-]{3,100}$/, 'must be 3-100 characters of A-Z a-z 0-9 . _ ~ -').optional(),
    client_name: textField(200).optional(),
    redirect_uris: z.array(absoluteUri).max(50).default([]),
    post_logout_redirect_uris: z.array(absoluteUri).max(50).optional(),
    grant_types: z.array(z.enum(GRANT_TYPES, { error: `must be one of ${GRANT_TYPES.join(', ')}` })).min(1).max(4).default(['authorization_code']),
    response_types: z.array(z.enum(['code'])).max(1).optional(),
    scope: z.string().max(1000).regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scope tokens').optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).default('client_secret_basic'),
    application_type: z.enum(['web', 'native']).default('web'),
    id_token_signed_response_alg: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
    subject_type: z.enum(['public', 'pairwise']).optional(),
    sector_identifier_uri: absoluteUri.optional(),
    backchannel_logout_uri: absoluteUri.optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    first_party: z.boolean().optional(),
    require_mfa: z.boolean().optional(),
    enrolment_channel: z.enum(ENROLMENT_CHANNELS).optional(),
    required_claims: z.array(textField(64)).max(10).optional(),
    required_purposes: z.array(z.string().regex(/^[a-z][a-z0-9_]{1,47}$/, 'must be a purpose id')).max(20).optional(),
    partner_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a partner id').optional(),
    connections: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a connection id')).max(50).optional(),
    allowed_resources: z.array(absoluteUri).max(20).optional(),
    client_uri: absoluteUri.optional(),
    logo_uri: absoluteUri.optional(),
    policy_uri: absoluteUri.optional(),
    tos_uri: absoluteUri.optional(),
    jwks_uri: absoluteUri.optional(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).max(20) }).optional(),
  })
  .strict();

export type ClientInput = z.output<typeof clientInput>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a redirect URI is refused: a code the console turns into its own message, and the API's English text. */
export type RedirectProblem = 'fragment' | 'https' | 'custom_scheme' | 'required';

export const REDIRECT_PROBLEM_MESSAGES: Readonly<Record<RedirectProblem, string>> = {
  fragment: 'must not contain a fragment',
  https: 'must use https (http only on localhost, 127.0.0.1 or [::1])',
  custom_scheme: 'custom schemes are allowed only for native apps and must be reverse-domain (com.example.app:/callback)',
  required: 'at least one redirect URI is required for authorization_code',
};

/**
 * Redirect rules beyond syntax: no fragment, https except loopback, and private-use schemes
 * (com.example.app:/callback) only for native apps. Returns the problem per field (empty when fine).
 */
export function redirectProblemCodes(input: ClientInput): Record<string, RedirectProblem> {
  const problems: Record<string, RedirectProblem> = {};
  const check = (field: string, uris: string[] | undefined) => {
    uris?.forEach((uri, index) => {
      const url = new URL(uri);
      const key = `${field}.${index}`;
      if (url.hash || uri.includes('#')) problems[key] = 'fragment';
      else if (url.protocol === 'https:') return;
      else if (url.protocol === 'http:') {
        if (!LOOPBACK.has(url.hostname)) problems[key] = 'https';
      } else if (input.application_type !== 'native' || !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) {
        problems[key] = 'custom_scheme';
      }
    });
  };
  check('redirect_uris', input.redirect_uris);
  check('post_logout_redirect_uris', input.post_logout_redirect_uris);
  if (input.grant_types.includes('authorization_code') && input.redirect_uris.length === 0) problems.redirect_uris = 'required';
  return problems;
}

/** The same rules as field errors in the admin API's words. */
export function redirectProblems(input: ClientInput): Record<string, string> {
  return Object.fromEntries(Object.entries(redirectProblemCodes(input)).map(([field, problem]) => [field, REDIRECT_PROBLEM_MESSAGES[problem]]));
}

/** zod issues as `{ field: message }`, the shape every 400 of the admin API uses. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const at = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      // One entry per unknown field, so a caller sees every one it has to drop, not only the first.
      for (const key of issue.keys) fields[at ? `${at}.${key}` : key] ??= 'unknown field';
      continue;
    }
    fields[at || '(body)'] ??= issue.message;
  }
  return fields;
}
