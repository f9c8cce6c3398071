// The purpose-consent part of the admin OpenAPI document (issue 17 items 1 and 3): the purpose catalogue and a
// member's signed consent receipts.
import type { OpenApiHelpers } from './webhook-openapi.ts';

const localised = { type: 'object', required: ['en'], additionalProperties: { type: 'string' }, description: 'Text per language (en, es, pt-BR, fr, pl); en is the fallback.' };

const consentPurpose = {
  type: 'object',
  required: ['id', 'version', 'marketing', 'required', 'title', 'text'],
  properties: {
    id: { type: 'string' },
    version: { type: 'integer', minimum: 1, description: 'Raised when the text changes: members are asked again where an answer is needed.' },
    marketing: { type: 'boolean' },
    required: { type: 'boolean', description: 'Never true for a marketing purpose.' },
    title: localised,
    text: localised,
  },
};

const consentReceipt = {
  type: 'object',
  required: ['id', 'issued_at', 'method', 'decisions', 'jws'],
  properties: {
    id: { type: 'string', description: 'consentReceiptID' },
    issued_at: { type: 'string', format: 'date-time' },
    method: { enum: ['sign_up', 'account_page', 'prompt', 'partner_api', 'import', 'merge'] },
    decisions: { type: 'array', items: { type: 'object', required: ['purpose', 'version', 'granted'], properties: { purpose: { type: 'string', description: 'A purpose id, or `terms`.' }, version: { type: 'integer' }, granted: { type: 'boolean' } } } },
    jws: { type: 'string', description: 'The receipt as a compact JWS (RS256, kid in the header) over the Kantara Consent Receipt v1.1 fields: verify it against /jwks.' },
  },
};

export const consentSchemas = { ConsentPurpose: consentPurpose, ConsentReceipt: consentReceipt };

const memberParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 200 }, description: 'The member\'s public (non-pairwise) `sub`' };

export function consentPaths({ responses, notFound, json }: OpenApiHelpers): Record<string, unknown> {
  return {
    '/consent-purposes': {
      get: {
        operationId: 'listConsentPurposes',
        summary: 'The purpose catalogue (CONSENT_PURPOSES_FILE) and the current terms version',
        responses: responses({
          200: {
            description: 'Purposes and terms',
            content: json({
              type: 'object',
              required: ['purposes', 'terms'],
              properties: {
                purposes: { type: 'array', items: { $ref: '#/components/schemas/ConsentPurpose' } },
                terms: { type: 'object', required: ['version', 'url'], properties: { version: { type: ['integer', 'null'] }, url: { type: ['string', 'null'] } } },
              },
            }),
          },
        }),
      },
    },
    '/members/{id}/consent-receipts': {
      parameters: [memberParam],
      get: {
        operationId: 'listConsentReceipts',
        summary: 'A member\'s consent receipts, newest first: one per change of their purpose consents or terms acceptance',
        responses: responses({
          200: { description: 'The receipts', content: json({ type: 'object', required: ['receipts'], properties: { receipts: { type: 'array', items: { $ref: '#/components/schemas/ConsentReceipt' } } } }) },
          404: notFound,
        }),
      },
    },
  };
}
