// The /admin/members/{id}/merge part of the admin OpenAPI document (issue 21 item 1): paths and schemas, with the shared helpers passed in.
import { MERGE_PROOF_METHODS } from '../domain/merge/merges.repository.ts';
import type { OpenApiHelpers } from './webhook-openapi.ts';

const side = {
  type: 'object',
  properties: {
    sub: { type: 'string' }, email: { type: ['string', 'null'] }, email_verified: { type: 'boolean' }, phone: { type: ['string', 'null'] },
    has_password: { type: 'boolean' }, member_number: { type: ['string', 'null'] }, points_balance: { type: 'integer' }, lifetime_points: { type: 'integer' },
    tier: { type: 'string' }, authenticator_apps: { type: 'integer' }, passkeys: { type: 'integer' }, linked_accounts: { type: 'integer' },
    devices: { type: 'integer' }, partners: { type: 'integer' }, profile_fields: { type: 'array', items: { type: 'string' } },
  },
};

export const mergeSchemas = {
  MergePreview: {
    type: 'object',
    required: ['survivor', 'absorbed', 'after', 'moves', 'profile_filled', 'consent_changes', 'conflicts'],
    properties: {
      survivor: side,
      absorbed: side,
      after: {
        type: 'object',
        description: 'The survivor after the merge: balance = both balances; lifetime points summed (carried by the survivor\'s adjust entry, so only when the absorbed member has points to move); tier recomputed.',
        properties: { points_balance: { type: 'integer' }, lifetime_points: { type: 'integer' }, tier: { type: 'string' }, email: { type: ['string', 'null'] }, phone: { type: ['string', 'null'] } },
      },
      moves: {
        type: 'object',
        description: 'Which identifiers the survivor takes from the absorbed member: its verified email only when the survivor\'s is unverified; its phone when the survivor has none; its password when the survivor has none. Those not taken are released.',
        properties: { email: { type: 'boolean' }, phone: { type: 'boolean' }, password: { type: 'boolean' } },
      },
      profile_filled: { type: 'array', items: { type: 'string' }, description: 'Profile fields the survivor lacks that the absorbed member fills.' },
      consent_changes: { type: 'array', items: { type: 'object', properties: { purpose: { type: 'string' }, version: { type: 'integer' }, granted: { type: 'boolean' } } }, description: 'Purpose consents that change on the survivor: a refusal beats a grant.' },
      conflicts: { type: 'array', items: { type: 'string' }, description: 'Where the survivor\'s value wins over a different one of the absorbed member (`email`, `phone`, `password`, `profile:<field>`).' },
    },
  },
  Merge: {
    type: 'object',
    required: ['id', 'survivor', 'absorbed', 'status', 'initiated_by', 'proof', 'reason', 'points_moved', 'lifetime_carried', 'subjects', 'redirect_until', 'created_at', 'completed_at'],
    properties: {
      id: { type: 'string' },
      survivor: { type: 'string', description: 'The surviving member (public sub).' },
      absorbed: { type: 'string', description: 'The absorbed member, now a tombstone pointing at the survivor.' },
      status: { type: 'string', enum: ['pending', 'done'] },
      initiated_by: { type: 'string', description: '`staff:<account id>` or `client:<client_id>` (admin API), `member:<sub>` (the member\'s own page).' },
      proof: { type: 'object', properties: { method: { type: 'string', enum: [...MERGE_PROOF_METHODS] }, reference: { type: ['string', 'null'] } } },
      reason: { type: 'string' },
      points_moved: { type: 'integer', description: 'The absorbed member\'s balance, moved by one `adjust` entry on each side (keys merge:<id>:out and merge:<id>:in).' },
      lifetime_carried: { type: 'integer' },
      subjects: {
        type: 'array',
        description: 'Per partner the absorbed member used: its old pairwise sub and the survivor\'s that replaces it (the partner API answers the old one with 410 `member_merged` naming the new one until redirect_until).',
        items: { type: 'object', properties: { partner_id: { type: 'string' }, old_sub: { type: 'string' }, new_sub: { type: 'string' } } },
      },
      redirect_until: { type: 'string', format: 'date-time' },
      created_at: { type: 'string', format: 'date-time' },
      completed_at: { type: ['string', 'null'], format: 'date-time' },
    },
  },
};

export function mergePaths({ responses, withBody, notFound, json, errorResponse }: OpenApiHelpers & { errorResponse(description: string): unknown }): Record<string, unknown> {
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The surviving member (public sub)' };
  const refused = errorResponse('Refused, nothing changed: either member already merged into another (details.reason `already_merged`), the member to absorb has a redemption held for review (`pending_review`), or the Idempotency-Key was used for another merge (`idempotency_conflict`)');
  return {
    '/members/{id}/merge-preview': {
      parameters: [idParam],
      get: {
        operationId: 'previewMemberMerge',
        summary: 'What merging `absorbed` into this member would do: both sides, the result, which identifiers move, profile gaps filled, consent changes, conflicts. Nothing is written.',
        parameters: [{ name: 'absorbed', in: 'query', required: true, schema: { type: 'string' }, description: 'The member to absorb (public sub)' }],
        responses: responses({
          200: { description: 'The preview', content: json({ $ref: '#/components/schemas/MergePreview' }) },
          400: { $ref: '#/components/responses/InvalidInput' },
          404: notFound,
          409: refused,
        }),
      },
    },
    '/members/{id}/merge': {
      parameters: [idParam],
      post: {
        operationId: 'mergeMembers',
        summary: 'Merge a duplicate member (`absorbed`) into this one. Its identifiers, factors, passkeys, linked accounts, devices, consents (the stricter choice wins) and '
          + 'profile gaps move; its points move by one `adjust` entry on each side (nothing deleted; lifetime points summed; tier recomputed); its sessions end; it becomes a '
          + 'tombstone pointing here; partners of either member get `member.merged`. Requires `Idempotency-Key` (a retry with the same key answers the first merge, 200 with '
          + 'Idempotent-Replayed). Refused (4xx, nothing changed): the member itself (400 `same_member`), an unknown member (404), either already merged (409), no proof or reason (400).',
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 100 } }],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['absorbed', 'reason', 'proof'],
            additionalProperties: false,
            properties: {
              absorbed: { type: 'string', description: 'The member to absorb (public sub).' },
              reason: { type: 'string', minLength: 3, maxLength: 200, description: 'Why (audited).' },
              proof: {
                type: 'object',
                required: ['method', 'reference'],
                additionalProperties: false,
                description: 'How staff established that both accounts belong to one person (audited).',
                properties: { method: { type: 'string', enum: [...MERGE_PROOF_METHODS] }, reference: { type: 'string', minLength: 3, maxLength: 200, description: 'What was checked (ticket, document type); no secret.' } },
              },
            },
          }),
        },
        responses: withBody({
          200: { description: 'A replay: the first merge', content: json({ $ref: '#/components/schemas/Merge' }) },
          201: { description: 'Merged', content: json({ $ref: '#/components/schemas/Merge' }) },
          404: notFound,
          409: refused,
        }),
      },
    },
  };
}
