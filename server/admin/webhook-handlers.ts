// Admin API handlers for webhooks: subscribe a URL to event types (optionally one partner's members), read,
// delete, rotate the secret (shown once), list deliveries with their attempts, and replay one or a time range.
import type { Context } from 'koa';
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import type { WebhookService } from '../domain/events/webhook-service.ts';
import type { Delivery, Webhook } from '../domain/events/webhooks.repository.ts';
import { fieldErrors } from './client-input.ts';

const webhookInput = z.object({
  url: z.string().min(1).max(2000),
  events: z.array(z.string().min(1).max(100)).min(1).max(50),
  partner_id: z.string().min(1).max(200).optional(),
}).strict();

const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const replayInput = z.union([
  z.object({ delivery_id: z.string().min(1).max(300) }).strict(),
  z.object({ from: isoDate, to: isoDate }).strict().refine((range) => range.from < range.to, { message: 'from must be before to', path: ['to'] }),
]);

function view(webhook: Webhook) {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    partner_id: webhook.partnerId,
    created_at: webhook.createdAt.toISOString(),
    previous_secret_expires_at: webhook.previousUntil && webhook.previousUntil > new Date() ? webhook.previousUntil.toISOString() : null,
  };
}

function deliveryView(delivery: Delivery) {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    status: delivery.status,
    next_attempt_at: delivery.status === 'pending' ? delivery.nextAt.toISOString() : null,
    created_at: delivery.createdAt.toISOString(),
    attempts: delivery.attempts.map((a) => ({ at: a.at.toISOString(), status: a.status, error: a.error, response: a.response })),
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new DomainError('invalid_input', `invalid ${what}`, { details: { fields: fieldErrors(parsed.error) } });
  return parsed.data;
}

export function webhookHandlers(webhooks: WebhookService) {
  return {
    async create(ctx: Context) {
      const input = parse(webhookInput, ctx.request.body, 'webhook');
      const { webhook, secret } = await webhooks.create({ url: input.url, events: input.events, partnerId: input.partner_id ?? null });
      ctx.status = 201;
      ctx.set('Location', `/admin/webhooks/${encodeURIComponent(webhook.id)}`);
      ctx.body = { ...view(webhook), secret };
    },

    async list(ctx: Context) {
      ctx.body = { items: (await webhooks.list()).map(view) };
    },

    async read(ctx: Context) {
      ctx.body = view(await webhooks.find(String(ctx.params.id)));
    },

    async remove(ctx: Context) {
      await webhooks.delete(String(ctx.params.id));
      ctx.status = 204;
    },

    async rotateSecret(ctx: Context) {
      const rotated = await webhooks.rotate(String(ctx.params.id));
      ctx.status = 201;
      ctx.body = { secret: rotated.secret, previous_secret_expires_at: rotated.previousUntil.toISOString() };
    },

    async deliveries(ctx: Context) {
      const limitText = ctx.query.limit ?? '50';
      if (typeof limitText !== 'string' || !/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 200) {
        throw new DomainError('invalid_input', 'invalid limit', { details: { fields: { limit: 'must be a whole number from 1 to 200' } } });
      }
      ctx.body = { items: (await webhooks.deliveries(String(ctx.params.id), Number(limitText))).map(deliveryView) };
    },

    async replay(ctx: Context) {
      const input = parse(replayInput, ctx.request.body, 'replay: give delivery_id, or from and to (ISO 8601)');
      const id = String(ctx.params.id);
      const queued = 'delivery_id' in input ? await webhooks.replayDelivery(id, input.delivery_id) : await webhooks.replayRange(id, input.from, input.to);
      ctx.status = 202;
      ctx.body = { queued };
    },
  };
}
