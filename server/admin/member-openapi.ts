// The /admin/members part of the admin OpenAPI document (issue 17): paths and schemas, with the shared helpers passed in.
import type { OpenApiHelpers } from './webhook-openapi.ts';

const memberParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 200 }, description: 'The member\'s public (non-pairwise) `sub`' };

const memberSummary = {
  type: 'object',
  required: ['sub', 'email', 'email_verified', 'phone', 'has_password', 'authenticator_apps', 'passkeys', 'member_number', 'points_balance', 'lifetime_points', 'created_at', 'updated_at', 'erasure_scheduled_for'],
  properties: {
    sub: { type: 'string' },
    email: { type: ['string', 'null'], description: 'Null for a phone-first member (signed up with a mobile number).' },
    email_verified: { type: 'boolean' },
    phone: { type: ['string', 'null'], description: 'Verified mobile number (E.164).' },
    has_password: { type: 'boolean' },
    authenticator_apps: { type: 'integer', minimum: 0 },
    passkeys: { type: 'integer', minimum: 0 },
    member_number: { type: ['string', 'null'] },
    points_balance: { type: 'integer', minimum: 0 },
    lifetime_points: { type: 'integer', minimum: 0 },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    erasure_scheduled_for: { type: ['string', 'null'], format: 'date-time', description: 'When the member\'s scheduled erasure happens; null when none is.' },
  },
};

const memberExport = {
  type: 'object',
  required: ['format', 'version', 'generated_at', 'issuer', 'sub', 'sections'],
  description: 'Everything held about the member, one section per kind of data; the full JSON Schema is docs/member-export.schema.json. '
    + 'Never secrets: no password hash, authenticator seed, recovery-code hash, passkey public key, session id or device-cookie hash.',
  properties: {
    format: { const: 'loyalty-idp.member-export' },
    version: { const: 1 },
    generated_at: { type: 'string', format: 'date-time' },
    issuer: { type: 'string' },
    sub: { type: 'string' },
    sections: {
      type: 'object',
      required: ['account', 'profile', 'verified_contacts', 'factors', 'passkeys', 'sessions', 'devices', 'partner_grants', 'ledger', 'coupons', 'card_claims', 'access_history', 'consents', 'receipts', 'linked_accounts'],
    },
  },
};

export const memberSchemas = { MemberSummary: memberSummary, MemberExport: memberExport };

export function memberPaths({ responses, notFound, json }: OpenApiHelpers): Record<string, unknown> {
  return {
      '/members/{id}': {
        parameters: [memberParam],
        get: {
          operationId: 'readMember',
          summary: 'Read a member\'s profile summary (support)',
          responses: responses({ 200: { description: 'The member', content: json({ $ref: '#/components/schemas/MemberSummary' }) }, 404: notFound }),
        },
        delete: {
          operationId: 'eraseMember',
          summary: 'Erase a member (GDPR art. 17): after the 14-day grace period, or now with ?grace=none',
          description: 'Without `grace`, schedules the erasure 14 days from now (202, with the date; the member is emailed and may keep the account by '
            + 'signing in until then); a second request keeps the first date. With `grace=none`, erases now (204): every row of the member in every '
            + 'store is deleted, ledger entries and coupon uses are kept under a random tombstone id with no link to the person, every client the member '
            + 'used gets a back-channel logout, and a `member.deleted` audit event (no account id, details.tombstone) is recorded.',
          parameters: [{ name: 'grace', in: 'query', required: false, schema: { enum: ['none'] }, description: '`none`: erase now instead of after the grace period.' }],
          responses: responses({
            202: {
              description: 'Erasure scheduled',
              content: json({
                type: 'object',
                required: ['sub', 'status', 'erase_at', 'requested_at'],
                properties: { sub: { type: 'string' }, status: { const: 'scheduled' }, erase_at: { type: 'string', format: 'date-time' }, requested_at: { type: 'string', format: 'date-time' } },
              }),
            },
            204: { description: 'Erased now (grace=none)' },
            400: { $ref: '#/components/responses/InvalidInput' },
            404: notFound,
          }),
        },
      },
      '/members/{id}/export': {
        parameters: [memberParam],
        get: {
          operationId: 'exportMember',
          summary: 'The member\'s data export (GDPR art. 15/20) for a support request; audited as member.exported',
          responses: responses({ 200: { description: 'The archive', content: json({ $ref: '#/components/schemas/MemberExport' }) }, 404: notFound }),
        },
      },
  };
}
