// The staff part of the admin OpenAPI document (issue 20): staff roles, the member search and points adjustments.
import { STAFF_ROLES } from '../domain/staff/staff-roles.ts';
import type { OpenApiHelpers } from './webhook-openapi.ts';

const memberParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 200 }, description: 'The member\'s public (non-pairwise) `sub`' };
const adjustmentParam = { name: 'adjustmentId', in: 'path', required: true, schema: { type: 'string' }, description: 'The pending adjustment\'s id' };
const conflict = { description: 'Stale (changed meanwhile), already decided, below a zero balance (`insufficient_points`), or an Idempotency-Key reused for another body: nothing changed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

export const staffSchemas = {
  StaffRoles: {
    type: 'object',
    required: ['sub', 'roles', 'version', 'updated_at'],
    properties: {
      sub: { type: 'string' },
      roles: { type: 'array', items: { enum: [...STAFF_ROLES] } },
      version: { type: 'integer', minimum: 0, description: 'Changes with every edit (0: no roles). Send it back with PUT to refuse an edit made meanwhile by someone else.' },
      updated_at: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  MemberSearchPage: {
    type: 'object',
    required: ['items', 'next', 'matched_by'],
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['sub', 'email', 'phone', 'member_number', 'given_name', 'family_name', 'points_balance'],
          properties: {
            sub: { type: 'string' }, email: { type: 'string' }, phone: { type: ['string', 'null'] }, member_number: { type: ['string', 'null'] },
            given_name: { type: ['string', 'null'] }, family_name: { type: ['string', 'null'] }, points_balance: { type: 'integer', minimum: 0 },
          },
        },
      },
      next: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page (name searches); null on the last page.' },
      matched_by: { enum: ['email', 'phone_or_member_number', 'name'] },
    },
  },
  PointsAdjustment: {
    type: 'object',
    required: ['id', 'status', 'points', 'reason', 'requested_by', 'decided_by', 'decided_at', 'ledger_entry_id', 'created_at'],
    properties: {
      id: { type: 'string' },
      status: { enum: ['pending', 'approved', 'rejected'] },
      points: { type: 'integer' },
      reason: { type: 'string' },
      requested_by: { type: 'string', description: '`staff:<sub>` or `client:<client_id>`' },
      decided_by: { type: ['string', 'null'] },
      decided_at: { type: ['string', 'null'], format: 'date-time' },
      ledger_entry_id: { type: ['string', 'null'] },
      created_at: { type: 'string', format: 'date-time' },
    },
  },
};

export function staffPaths({ responses, withBody, notFound, json }: OpenApiHelpers): Record<string, unknown> {
  const adjustmentReply = json({ type: 'object', required: ['status', 'adjustment'], properties: { status: { type: 'string' }, adjustment: { $ref: '#/components/schemas/PointsAdjustment' }, balance_after: { type: 'integer' } } });
  return {
    '/staff': {
      get: {
        operationId: 'listStaff',
        summary: 'Every member with staff roles',
        responses: responses({ 200: { description: 'The staff', content: json({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/StaffRoles' } } } }) } }),
      },
    },
    '/staff/{id}': {
      parameters: [memberParam],
      get: {
        operationId: 'readStaffRoles',
        summary: 'A member\'s staff roles (none: an empty list, version 0)',
        responses: responses({ 200: { description: 'The roles', content: json({ $ref: '#/components/schemas/StaffRoles' }) }, 404: notFound }),
      },
      put: {
        operationId: 'replaceStaffRoles',
        summary: 'Replace a member\'s staff roles (owners only, for staff tokens); an empty list removes them',
        description: 'Audited as `staff.roles_changed` with the caller as `details.actor`. With `version`, refused (409, nothing changed) when the roles changed since that version was read.',
        requestBody: {
          required: true,
          content: json({ type: 'object', additionalProperties: false, required: ['roles'], properties: { roles: { type: 'array', items: { enum: [...STAFF_ROLES] }, maxItems: 10 }, version: { type: 'integer', minimum: 0 } } }),
        },
        responses: withBody({ 200: { description: 'The roles now', content: json({ $ref: '#/components/schemas/StaffRoles' }) }, 404: notFound, 409: conflict }),
      },
    },
    '/members': {
      get: {
        operationId: 'searchMembers',
        summary: 'Find members by email (exact, normalised), phone (E.164 or a local form), member number, or the start of a given or family name',
        description: 'Every character of `q` is literal: regular-expression, wildcard and query-operator characters match themselves. Name searches are paged (`cursor`).',
        parameters: [
          { name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `next` of the previous page.' },
        ],
        responses: responses({ 200: { description: 'A page of members', content: json({ $ref: '#/components/schemas/MemberSearchPage' }) }, 400: { $ref: '#/components/responses/InvalidInput' } }),
      },
    },
    '/members/{id}/points-adjustments': {
      parameters: [memberParam],
      get: {
        operationId: 'listPendingPointsAdjustments',
        summary: 'The member\'s adjustments waiting for approval, and the member\'s `points_version` (for `expected_version`)',
        responses: responses({ 200: { description: 'Pending adjustments', content: json({ type: 'object', required: ['items', 'points_version'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/PointsAdjustment' } }, points_version: { type: 'integer', minimum: 0 } } }) }, 404: notFound }),
      },
      post: {
        operationId: 'adjustPoints',
        summary: 'Add or take away points with a reason; above the caller\'s role limit it waits for a second staff member',
        description: 'Requires `Idempotency-Key` (a retry with the same key and body answers the first result; another body: 409). The balance never goes below zero (409 `insufficient_points`, nothing changed). '
          + 'Limits without approval: owner 100,000, support 1,000 points either way; the admin client has none. With `expected_version` (the `points_version` read), refused with 409 when the points changed meanwhile. '
          + 'Audited as `points.adjusted` or `points.adjustment_requested` with `details.actor` and `details.staff_reason`.',
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 100 } }],
        requestBody: {
          required: true,
          content: json({
            type: 'object', additionalProperties: false, required: ['points', 'reason'],
            properties: { points: { type: 'integer', not: { const: 0 }, minimum: -1_000_000, maximum: 1_000_000 }, reason: { type: 'string', minLength: 3, maxLength: 200 }, expected_version: { type: 'integer', minimum: 0 } },
          }),
        },
        responses: withBody({
          200: { description: 'Replayed: the entry the first request wrote' },
          201: { description: 'Applied: the ledger entry' },
          202: { description: 'Waiting for a second staff member', content: adjustmentReply },
          404: notFound,
          409: conflict,
        }),
      },
    },
    '/members/{id}/points-adjustments/{adjustmentId}/approve': {
      parameters: [memberParam, adjustmentParam],
      post: {
        operationId: 'approvePointsAdjustment',
        summary: 'Approve and apply a pending adjustment (never by its requester)',
        responses: responses({ 200: { description: 'Applied', content: adjustmentReply }, 404: notFound, 409: conflict }),
      },
    },
    '/members/{id}/points-adjustments/{adjustmentId}/reject': {
      parameters: [memberParam, adjustmentParam],
      post: {
        operationId: 'rejectPointsAdjustment',
        summary: 'Reject a pending adjustment',
        responses: responses({ 200: { description: 'Rejected', content: adjustmentReply }, 404: notFound, 409: conflict }),
      },
    },
  };
}
