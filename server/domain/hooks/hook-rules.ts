// What a hook may answer at each point, and what the admin API accepts for a hook: zod at both edges, so a
// hook's answer that does anything not allowed (unknown decision, extra keys, claims outside the namespace,
// profile fields the program does not have) is refused as a whole and handled by the hook's failure policy.
import { z } from 'zod';
import { KNOWN_FIELDS } from '../../../config/profile-fields.ts';
import { hasForbiddenCharacters } from '../text.ts';
import { HOOK_POINTS } from './hooks.repository.ts';

export const DEFAULT_HOOK_TIMEOUT_MS = 2000;
export const MAX_HOOK_TIMEOUT_MS = 10_000;
/** A decision and a few claims are well under this; a larger answer is refused unread. */
export const MAX_HOOK_ANSWER_BYTES = 64 * 1024;
const MAX_CLAIMS = 20;
/** Claims ride in every token of the grant: kept small (headers, cookies and logs carry tokens). */
const MAX_CLAIMS_JSON = 4096;

/** A language tag as the catalogues name them (en, pt-BR) → the text shown; bounded, no control characters. */
const localisedMessage = z.record(
  z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/),
  z.string().min(1).max(500).refine((text) => !hasForbiddenCharacters(text), 'no control characters'),
).refine((map) => Object.keys(map).length >= 1 && Object.keys(map).length <= 20, 'one to twenty languages');
export type LocalisedMessage = z.output<typeof localisedMessage>;

/** Names the program's profile fields; a value is a member-typed string (checked again per field when stored). */
const profileAdditions = z.object(Object.fromEntries(KNOWN_FIELDS.map((field) => [field.name, z.string().min(1).max(100).optional()]))).strict();

/** Custom claims: every name starts with the hook's namespace (so none can pose as sub, acr, email, ...). */
function namespacedClaims(namespace: string | null) {
  return z.record(z.string().min(1).max(200), z.json())
    .refine((claims) => Object.keys(claims).length <= MAX_CLAIMS, `at most ${MAX_CLAIMS} claims`)
    .refine((claims) => Object.keys(claims).every((name) => namespace !== null && name.startsWith(namespace) && name.length > namespace.length), {
      message: namespace ? `claim names must start with ${namespace}` : 'this hook has no claim namespace: it may add no claims',
    })
    .refine((claims) => JSON.stringify(claims).length <= MAX_CLAIMS_JSON, `claims over ${MAX_CLAIMS_JSON} bytes`);
}

export const preRegistrationAnswer = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('allow'), profile: profileAdditions.optional() }).strict(),
  z.object({ decision: z.literal('deny'), message: localisedMessage.optional() }).strict(),
]);

export function postLoginAnswer(namespace: string | null) {
  return z.discriminatedUnion('decision', [
    z.object({ decision: z.literal('allow'), claims: namespacedClaims(namespace).optional() }).strict(),
    z.object({ decision: z.literal('step_up'), claims: namespacedClaims(namespace).optional() }).strict(),
    z.object({ decision: z.literal('deny'), message: localisedMessage.optional() }).strict(),
  ]);
}

export function preTokenAnswer(namespace: string | null) {
  return z.discriminatedUnion('decision', [
    z.object({ decision: z.literal('allow'), claims: namespacedClaims(namespace).optional() }).strict(),
    z.object({ decision: z.literal('deny') }).strict(),
  ]);
}

/** An https URL ending in `/` (or `#`), so `https://loyalty.example/` cannot be widened to `https://loyalty.example.evil/`. */
const claimNamespace = z.string().max(200).refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' && !url.username && !url.password && (value.endsWith('/') || value.endsWith('#'));
}, 'must be an https URL ending with /');

/** The fields an operator sets, without defaults (a change names only what it changes). */
const hookFields = {
  url: z.string().max(2000).refine((value) => URL.canParse(value), 'must be an absolute URL'),
  timeout_ms: z.number().int().min(100).max(MAX_HOOK_TIMEOUT_MS),
  failure_policy: z.enum(['open', 'closed']),
  enabled: z.boolean(),
  claim_namespace: claimNamespace.nullable(),
};

export const hookInput = z.object({
  point: z.enum(HOOK_POINTS),
  url: hookFields.url,
  timeout_ms: hookFields.timeout_ms.default(DEFAULT_HOOK_TIMEOUT_MS),
  failure_policy: hookFields.failure_policy.default('open'),
  enabled: hookFields.enabled.default(true),
  claim_namespace: hookFields.claim_namespace.default(null),
}).strict();

/** PATCH: only the fields given change (no defaults here, or a change of one field would reset the others). */
export const hookChanges = z.object(hookFields).partial().strict();

/** Picks the text for `language`: exact tag, then the same base language, then English, then none (the page's generic text). */
export function messageFor(message: LocalisedMessage | undefined, language: string): string | undefined {
  if (!message) return undefined;
  const entries = Object.entries(message);
  const lower = language.toLowerCase();
  const base = lower.split('-')[0];
  return entries.find(([tag]) => tag.toLowerCase() === lower)?.[1]
    ?? entries.find(([tag]) => tag.toLowerCase().split('-')[0] === base)?.[1]
    ?? entries.find(([tag]) => tag.toLowerCase().split('-')[0] === 'en')?.[1];
}
