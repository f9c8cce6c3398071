// The support actions part of the admin OpenAPI document (issue 20): factor removal, unblock, redemption freeze.
import type { OpenApiHelpers } from './webhook-openapi.ts';

const reason = { type: 'string', minLength: 3, maxLength: 200, description: 'Why, for the audit log (recorded with the caller).' };

export const memberSupportSchemas = {
  RedemptionFreeze: {
    type: 'object',
    required: ['sub', 'frozen_by', 'reason', 'frozen_at'],
    properties: {
      sub: { type: 'string' },
      frozen_by: { type: 'string', description: '`staff:<id>` or `client:<client_id>`' },
      reason: { type: 'string' },
      frozen_at: { type: 'string', format: 'date-time' },
    },
  },
};

export function memberSupportPaths({ responses, withBody, notFound, json, errorResponse }: OpenApiHelpers & { errorResponse(description: string): unknown }): Record<string, unknown> {
  const memberParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The member\'s public (non-pairwise) sub' };
  const reasonOnly = { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason } };
  const done = { description: 'Done' };
  return {
    '/members/{id}/factor-removals': {
      parameters: [memberParam],
      post: {
        operationId: 'removeMemberFactor',
        summary: 'Remove a factor the member lost (authenticator app, phone, or one passkey); the member is emailed in their language. '
          + 'The only passkey of an account without a password is refused (409, details.reason last_way_in)',
        requestBody: { required: true, content: json({
          type: 'object', required: ['factor', 'reason'], additionalProperties: false,
          properties: { factor: { enum: ['totp', 'phone', 'passkey'] }, passkey_id: { type: 'string', description: 'Required for factor passkey' }, reason },
        }) },
        responses: withBody({ 204: done, 404: notFound, 409: errorResponse('The passkey is the member\'s only way in (details.reason last_way_in): nothing changed') }),
      },
    },
    '/members/{id}/unblock': {
      parameters: [memberParam],
      post: {
        operationId: 'unblockMember',
        summary: 'Lift the member\'s sign-in blocks (their email\'s failure counters and its blocks with the addresses it failed from); audited as account.unlocked',
        requestBody: { required: true, content: json(reasonOnly) },
        responses: withBody({ 204: done, 404: notFound }),
      },
    },
    '/members/{id}/redemption-freeze': {
      parameters: [memberParam],
      post: {
        operationId: 'freezeMemberRedemptions',
        summary: 'Freeze the member\'s redemptions (points and coupons; earning stays open) until unfrozen; a second freeze keeps the first',
        requestBody: { required: true, content: json(reasonOnly) },
        responses: withBody({ 200: { description: 'The freeze in force', content: json({ $ref: '#/components/schemas/RedemptionFreeze' }) }, 404: notFound }),
      },
      delete: {
        operationId: 'unfreezeMemberRedemptions',
        summary: 'Lift the freeze',
        parameters: [{ name: 'reason', in: 'query', required: true, schema: reason }],
        responses: responses({ 204: done, 400: { $ref: '#/components/responses/InvalidInput' }, 404: notFound }),
      },
    },
  };
}
