// The /admin/webhooks part of the admin OpenAPI document (issue 18): paths and schemas, with the shared helpers passed in.
import { EVENT_TYPES } from '../domain/events/event-types.ts';

export interface OpenApiHelpers {
  responses(extra: Record<string, unknown>): unknown;
  withBody(extra: Record<string, unknown>): unknown;
  notFound: unknown;
  json(schema: unknown): unknown;
}

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The webhook id' };

export const webhookSchemas = {
  Webhook: {
    type: 'object',
    required: ['id', 'url', 'events', 'partner_id', 'created_at', 'previous_secret_expires_at'],
    properties: {
      id: { type: 'string' },
      url: { type: 'string', format: 'uri' },
      events: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } },
      partner_id: { type: ['string', 'null'], description: 'Only this partner\'s members\' events, with their pairwise `sub` and only what they granted the partner.' },
      created_at: { type: 'string', format: 'date-time' },
      previous_secret_expires_at: { type: ['string', 'null'], format: 'date-time', description: 'Until then the secret before the last rotation signs too (a second `v1,` signature).' },
    },
  },
  WebhookDelivery: {
    type: 'object',
    required: ['id', 'event_id', 'status', 'next_attempt_at', 'created_at', 'attempts'],
    properties: {
      id: { type: 'string' },
      event_id: { type: 'string', description: 'Also the `webhook-id` header of every attempt.' },
      status: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
      next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
      created_at: { type: 'string', format: 'date-time' },
      attempts: {
        type: 'array',
        maxItems: 25,
        items: {
          type: 'object',
          properties: {
            at: { type: 'string', format: 'date-time' },
            status: { type: ['integer', 'null'], description: 'The receiver\'s HTTP status; null when none came.' },
            error: { type: ['string', 'null'], description: 'http_500, timeout, redirect, special_use_address, unreachable, ...; null on success.' },
            response: { type: ['string', 'null'], maxLength: 256, description: 'The first characters of the answer.' },
          },
        },
      },
    },
  },
};

export function webhookPaths(h: OpenApiHelpers): Record<string, unknown> {
  const secret = { type: 'string', pattern: '^whsec_', description: 'Standard Webhooks secret (`whsec_` + base64 of 32 random bytes). Shown once.' };
  return {
    '/webhooks': {
      post: {
        operationId: 'createWebhook',
        summary: 'Subscribe a URL to event types',
        description: 'Deliveries follow Standard Webhooks: headers webhook-id, webhook-timestamp and webhook-signature (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`), '
          + 'a JSON body {type, timestamp, data}; at least once, in order per member, retried with exponential backoff and jitter for up to 3 days, then dead-lettered. '
          + 'Refused (400, naming the field): a URL that is not https (http only to a loopback receiver outside production), a literal private address or a host that '
          + 'does not resolve or resolves to one, an unknown event type, and for a partner an event type partners do not receive.',
        requestBody: {
          required: true,
          content: h.json({
            type: 'object', additionalProperties: false, required: ['url', 'events'],
            properties: {
              url: { type: 'string', format: 'uri', maxLength: 2000 },
              events: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', enum: [...EVENT_TYPES] } },
              partner_id: { type: 'string' },
            },
          }),
        },
        responses: h.withBody({ 201: { description: 'Created', content: h.json({ allOf: [{ $ref: '#/components/schemas/Webhook' }, { type: 'object', required: ['secret'], properties: { secret } }] }) } }),
      },
      get: {
        operationId: 'listWebhooks',
        summary: 'List webhooks (without secrets)',
        responses: h.responses({ 200: { description: 'Every webhook', content: h.json({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Webhook' } } } }) } }),
      },
    },
    '/webhooks/{id}': {
      parameters: [idParam],
      get: { operationId: 'readWebhook', summary: 'Read a webhook (without its secret)', responses: h.responses({ 200: { description: 'The webhook', content: h.json({ $ref: '#/components/schemas/Webhook' }) }, 404: h.notFound }) },
      delete: { operationId: 'deleteWebhook', summary: 'Delete a webhook; its pending deliveries are dropped', responses: h.responses({ 204: { description: 'Deleted' }, 404: h.notFound }) },
    },
    '/webhooks/{id}/secret/rotate': {
      parameters: [idParam],
      post: {
        operationId: 'rotateWebhookSecret',
        summary: 'New signing secret (shown once); the old one signs too, as a second signature, for 24 hours',
        responses: h.responses({ 201: { description: 'Rotated', content: h.json({ type: 'object', required: ['secret', 'previous_secret_expires_at'], properties: { secret, previous_secret_expires_at: { type: 'string', format: 'date-time' } } }) }, 404: h.notFound }),
      },
    },
    '/webhooks/{id}/deliveries': {
      parameters: [idParam],
      get: {
        operationId: 'listWebhookDeliveries',
        summary: 'Deliveries, newest event first, with their attempts, status codes and the start of each answer',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }],
        responses: h.responses({ 200: { description: 'Deliveries', content: h.json({ type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/WebhookDelivery' } } } }) }, 400: { $ref: '#/components/responses/InvalidInput' }, 404: h.notFound }),
      },
    },
    '/webhooks/{id}/replay': {
      parameters: [idParam],
      post: {
        operationId: 'replayWebhook',
        summary: 'Send one delivery again, or every event of a time range (at most 1,000 a call)',
        description: 'A replay keeps the event\'s webhook-id, so a receiver that deduplicates sees it once.',
        requestBody: {
          required: true,
          content: h.json({
            oneOf: [
              { type: 'object', additionalProperties: false, required: ['delivery_id'], properties: { delivery_id: { type: 'string' } } },
              { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } },
            ],
          }),
        },
        responses: h.withBody({ 202: { description: 'Queued', content: h.json({ type: 'object', properties: { queued: { type: 'integer' } } }) }, 404: h.notFound }),
      },
    },
  };
}
