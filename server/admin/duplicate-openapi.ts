// The /admin/members/duplicates part of the admin OpenAPI document (issue 21 item 1), with the shared helpers passed in.
import type { OpenApiHelpers } from './webhook-openapi.ts';

export const duplicateSchemas = {
  DuplicatePair: {
    type: 'object',
    required: ['members', 'reasons'],
    properties: {
      members: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2, description: 'The two members\' ids (public subs), the lower first.' },
      reasons: {
        type: 'array', minItems: 1,
        items: { type: 'string', enum: ['phone', 'name_birthdate_postcode', 'card'] },
        description: '`phone`: one member\'s verified phone is the contact phone of a card the other claimed. `name_birthdate_postcode`: the same given and family name, birthdate and postcode, compared without case, accents or spacing. `card`: a card one claimed carries the other\'s member number.',
      },
    },
  },
};

export function duplicatePaths({ responses, json }: OpenApiHelpers): Record<string, unknown> {
  return {
    '/members/duplicates': {
      get: {
        operationId: 'listDuplicateMembers',
        summary: 'Likely duplicate members: pairs of live members that look like one person, with the reasons',
        description: 'Members are looked at in id order, at most 500 a page, each by indexed look-ups only; a page may hold fewer pairs than `limit` and still have a `next`. '
          + 'Erased and merged members never appear. A pair found for two reasons on different pages appears once per page.',
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `next` of the previous page.' },
        ],
        responses: responses({
          200: {
            description: 'A page of likely duplicate pairs',
            content: json({ type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/DuplicatePair' } }, next: { type: ['string', 'null'], description: 'null once every member was looked at' } } }),
          },
          400: { $ref: '#/components/responses/InvalidInput' },
        }),
      },
    },
  };
}
