// Admin API for support actions on a member (issue 20), the console's actions for scripts: remove a lost factor
// (the member is emailed), lift sign-in blocks, freeze and unfreeze redemptions; each with a reason, audited with the caller.
import type { Context } from 'koa';
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import type { FactorToRemove, MemberSupport, SupportCaller } from '../domain/staff/member-support.ts';
import { textField } from '../domain/text.ts';
import { fieldErrors } from './client-input.ts';
import { callerOf } from './koa-require-admin-token.ts';

const reasonBody = z.object({ reason: textField(200, 3) }).strict();

const factorBody = z.discriminatedUnion('factor', [
  z.object({ factor: z.literal('totp'), reason: textField(200, 3) }).strict(),
  z.object({ factor: z.literal('phone'), reason: textField(200, 3) }).strict(),
  z.object({ factor: z.literal('passkey'), passkey_id: z.string().min(1).max(1000), reason: textField(200, 3) }).strict(),
]);

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DomainError('invalid_input', 'invalid body', { details: { fields: fieldErrors(parsed.error) } });
  return parsed.data;
}

function supportCaller(ctx: Context): SupportCaller {
  return { actor: callerOf(ctx).actor, ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null };
}

export function memberSupportHandlers(support: MemberSupport) {
  const memberId = (ctx: Context) => String(ctx.params.id ?? '');
  const freezeJson = (freeze: { accountId: string; frozenBy: string; reason: string; frozenAt: Date }) => ({
    sub: freeze.accountId, frozen_by: freeze.frozenBy, reason: freeze.reason, frozen_at: freeze.frozenAt.toISOString(),
  });
  return {
    async removeFactor(ctx: Context) {
      const body = parse(factorBody, ctx.request.body);
      const factor: FactorToRemove = body.factor === 'passkey' ? { kind: 'passkey', id: body.passkey_id } : { kind: body.factor };
      await support.removeFactor(supportCaller(ctx), memberId(ctx), factor, body.reason);
      ctx.status = 204;
    },

    async unblock(ctx: Context) {
      const body = parse(reasonBody, ctx.request.body);
      await support.unblock(supportCaller(ctx), memberId(ctx), body.reason);
      ctx.status = 204;
    },

    async freeze(ctx: Context) {
      const body = parse(reasonBody, ctx.request.body);
      ctx.body = freezeJson(await support.freezeRedemptions(supportCaller(ctx), memberId(ctx), body.reason));
    },

    /** DELETE carries no body: the reason is a query parameter. */
    async unfreeze(ctx: Context) {
      const query = parse(z.object({ reason: textField(200, 3) }).strict(), ctx.query);
      if (!(await support.unfreezeRedemptions(supportCaller(ctx), memberId(ctx), query.reason))) throw new DomainError('not_found', 'the member\'s redemptions are not frozen');
      ctx.status = 204;
    },
  };
}
