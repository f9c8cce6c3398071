// The /admin/held-redemptions part of the admin OpenAPI document (issue 21): paths and schemas, with the shared helpers passed in.
import type { OpenApiHelpers } from './webhook-openapi.ts';

export const heldRedemptionSchemas = {
  HeldRedemption: {
    type: 'object',
    required: ['id', 'member', 'points', 'partner_id', 'reason', 'entry_id', 'score', 'signals', 'status', 'created_at', 'decided_at', 'decided_by'],
    properties: {
      id: { type: 'string' },
      member: { type: 'string', description: 'The member id (public sub).' },
      points: { type: 'integer', minimum: 1, description: 'Points of the redemption, reserved by its hold entry until the review.' },
      partner_id: { type: ['string', 'null'] },
      reason: { type: 'string' },
      entry_id: { type: 'string', description: 'The `hold` ledger entry.' },
      score: { type: 'integer', minimum: 0, maximum: 100, description: 'The risk score when it was held.' },
      signals: { type: 'array', items: { type: 'string' }, description: 'The risk rules that fired (e.g. redemption-after-new-device, balance-drain).' },
      status: { type: 'string', enum: ['held', 'released', 'rejected'] },
      created_at: { type: 'string', format: 'date-time' },
      decided_at: { type: ['string', 'null'], format: 'date-time' },
      decided_by: { type: ['string', 'null'], description: 'The admin client that released or rejected it.' },
    },
  },
};

export function heldRedemptionPaths({ responses, notFound, json, errorResponse }: OpenApiHelpers & { errorResponse(description: string): unknown }): Record<string, unknown> {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The held redemption id' };
  const decided = errorResponse('Released or rejected already: nothing changed (details.status says which)');
  return {
    '/held-redemptions': {
      get: {
        operationId: 'listHeldRedemptions',
        summary: 'Redemptions the points-fraud rules held for review, oldest first, with the signals that fired',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'string', enum: ['held', 'released', 'rejected'], default: 'held' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
          { name: 'after', in: 'query', schema: { type: 'string' }, description: 'The `next_after` value of the previous page' },
        ],
        responses: responses({
          200: {
            description: 'A page of held redemptions',
            content: json({ type: 'object', required: ['held_redemptions', 'next_after'], properties: { held_redemptions: { type: 'array', items: { $ref: '#/components/schemas/HeldRedemption' } }, next_after: { type: ['string', 'null'] } } }),
          },
          400: { $ref: '#/components/responses/InvalidInput' },
        }),
      },
    },
    '/held-redemptions/{id}/release': {
      parameters: [idParam],
      post: {
        operationId: 'releaseHeldRedemption',
        summary: 'Make a held redemption final: its reserved points stay spent and points.redeemed is emitted',
        responses: responses({ 200: { description: 'Released', content: json({ $ref: '#/components/schemas/HeldRedemption' }) }, 404: notFound, 409: decided }),
      },
    },
    '/held-redemptions/{id}/reject': {
      parameters: [idParam],
      post: {
        operationId: 'rejectHeldRedemption',
        summary: 'Reject a held redemption: its reserved points go back to the member (a hold_return entry); nothing is emitted',
        responses: responses({ 200: { description: 'Rejected', content: json({ $ref: '#/components/schemas/HeldRedemption' }) }, 404: notFound, 409: decided }),
      },
    },
  };
}
