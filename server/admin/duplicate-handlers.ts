// Admin API: GET /admin/members/duplicates lists likely duplicate members (issue 21 item 1), a page of pairs with why.
import type { Context } from 'koa';
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import { type DuplicateMembers, MAX_DUPLICATE_PAGE } from '../domain/staff/duplicate-members.ts';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_DUPLICATE_PAGE).default(50),
  cursor: z.string().max(500).optional(),
}).strict();

export function duplicateHandlers(duplicates: DuplicateMembers) {
  return {
    async list(ctx: Context) {
      const parsed = listQuery.safeParse(ctx.query);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid query', { details: { fields: { limit: `1-${MAX_DUPLICATE_PAGE}`, cursor: 'the `next` of the previous page' } } });
      const { limit, cursor } = parsed.data;
      const page = await duplicates.list({ limit, ...(cursor === undefined ? {} : { cursor }) });
      ctx.body = { items: page.pairs.map((pair) => ({ members: pair.members, reasons: pair.reasons })), next: page.next };
    },
  };
}
