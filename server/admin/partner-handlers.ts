// Admin API handlers for partners (organizations): create, list, read. A partner's clients are ordinary
// clients with partner_id set (see client-handlers.ts), which makes their subjects pairwise per partner.
import type { Context } from 'koa';
import { DomainError } from '../domain/errors.ts';
import { fieldErrors } from './client-input.ts';
import { partnerInput } from '../domain/partners/partner-input.ts';
import type { Partner, PartnersRepository } from '../domain/partners/partners.repository.ts';

function view(partner: Partner) {
  return { id: partner.id, name: partner.name, created_at: partner.createdAt.toISOString() };
}

export function partnerHandlers(partners: PartnersRepository) {
  return {
    async create(ctx: Context) {
      const parsed = partnerInput.safeParse(ctx.request.body);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid partner: name must be 1-100 characters without control characters', { details: { fields: fieldErrors(parsed.error) } });
      const partner = await partners.create({ name: parsed.data.name });
      ctx.status = 201;
      ctx.set('Location', `/admin/partners/${encodeURIComponent(partner.id)}`);
      ctx.body = view(partner);
    },

    async list(ctx: Context) {
      const limitText = ctx.query.limit ?? '50';
      const limit = Number(limitText);
      if (typeof limitText !== 'string' || !/^\d+$/.test(limitText) || limit < 1 || limit > 100) {
        throw new DomainError('invalid_input', 'invalid limit', { details: { fields: { limit: 'must be a whole number from 1 to 100' } } });
      }
      const after = typeof ctx.query.after === 'string' && ctx.query.after ? ctx.query.after : undefined;
      const page = await partners.list({ limit: limit + 1, after });
      const items = page.slice(0, limit);
      ctx.body = { items: items.map(view), next: page.length > limit ? items.at(-1)!.id : null };
    },

    async read(ctx: Context) {
      const partner = await partners.find(String(ctx.params.id));
      if (!partner) throw new DomainError('not_found', 'no such partner');
      ctx.body = view(partner);
    },
  };
}
