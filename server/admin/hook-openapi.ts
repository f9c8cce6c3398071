// The /admin/hooks part of the admin OpenAPI document (issue 18): paths and schemas, with the shared helpers passed in.
import type { OpenApiHelpers } from './webhook-openapi.ts';

const uri = { type: 'string', format: 'uri' };

/** Mirrors server/domain/hooks/hook-rules.ts (the zod schema there is what decides). */
const hookProperties = {
  url: { ...uri, description: 'Where the hook is called: https (plain http only to loopback outside production). Refused when it is, or resolves to, a private, link-local or special-use address; checked again at every call.' },
  timeout_ms: { type: 'integer', minimum: 100, maximum: 10000, default: 2000, description: 'The longest a sign-up, sign-in or token request waits for the answer.' },
  failure_policy: { enum: ['open', 'closed'], default: 'open', description: 'What a timeout, a non-2xx answer, invalid JSON or a disallowed answer means: open continues as if allowed; closed refuses with a generic message.' },
  enabled: { type: 'boolean', default: true },
  claim_namespace: { type: ['string', 'null'], format: 'uri', description: 'https URL ending in "/": every claim a post-login or pre-token hook adds must start with it. Without it such a hook may add no claims.' },
};

const hookInput = {
  type: 'object',
  additionalProperties: false,
  required: ['point', 'url'],
  properties: {
    point: { enum: ['pre-registration', 'post-login', 'pre-token', 'post-redemption'], description: 'One hook per point.' },
    ...hookProperties,
  },
};

const hook = {
  type: 'object',
  required: ['id', 'point', 'url', 'timeout_ms', 'failure_policy', 'enabled', 'claim_namespace', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    ...hookInput.properties,
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

export const hookSchemas = {
  HookInput: hookInput,
  Hook: hook,
  HookWithSecret: { allOf: [{ $ref: '#/components/schemas/Hook' }, { type: 'object', required: ['secret'], properties: { secret: { type: 'string', description: 'whsec_...: shown once. Calls carry webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks, HMAC-SHA256) made with it.' } } }] },
};

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The hook id' };

export function hookPaths({ responses, withBody, notFound, json, errorResponse }: OpenApiHelpers & { errorResponse(description: string): unknown }): Record<string, unknown> {
  return {
      '/hooks': {
        post: {
          operationId: 'createHook',
          summary: 'Add a hook: a signed HTTP callout at a fixed point (pre-registration, post-login, pre-token, post-redemption)',
          description: 'The hook gets a JSON POST `{type, timestamp, data}` signed as Standard Webhooks do, and answers JSON. '
            + 'pre-registration: `{"decision":"allow"}`, `{"decision":"allow","profile":{...}}` (profile fields to add), or `{"decision":"deny","message":{"en":"...","es":"..."}}` shown on the sign-up page. '
            + 'post-login: allow, `{"decision":"step_up"}` (a second factor is required), deny with a message, and with allow or step_up `claims` whose names start with claim_namespace, added to the ID token and access tokens of that client. '
            + 'pre-token (client credentials): allow with namespaced `claims` for the access token, or deny. post-redemption: informational, the answer is not read. '
            + 'Every call is audited (type hook.call) and counted (loyalty_hook_calls_total).',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/HookInput' }) },
          responses: withBody({
            201: {
              description: 'Created; the secret is shown only here',
              headers: { Location: { schema: { type: 'string' }, description: 'URL of the new hook' } },
              content: json({ $ref: '#/components/schemas/HookWithSecret' }),
            },
            409: errorResponse('A hook at this point exists already'),
          }),
        },
        get: {
          operationId: 'listHooks',
          summary: 'List hooks, oldest first (without secrets)',
          responses: responses({ 200: { description: 'The hooks', content: json({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Hook' } } } }) } }),
        },
      },
      '/hooks/{id}': {
        parameters: [idParam],
        get: {
          operationId: 'readHook',
          summary: 'Read a hook (without its secret)',
          responses: responses({ 200: { description: 'The hook', content: json({ $ref: '#/components/schemas/Hook' }) }, 404: notFound }),
        },
        patch: {
          operationId: 'changeHook',
          summary: 'Change a hook\'s url, timeout, failure policy, claim namespace or enabled flag (the point and the secret stay)',
          requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, properties: hookProperties }) },
          responses: withBody({ 200: { description: 'Changed', content: json({ $ref: '#/components/schemas/Hook' }) }, 404: notFound }),
        },
        delete: {
          operationId: 'deleteHook',
          summary: 'Delete a hook',
          responses: responses({ 204: { description: 'Deleted' }, 404: notFound }),
        },
      },
  };
}
