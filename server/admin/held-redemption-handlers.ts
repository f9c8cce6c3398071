// Admin API: redemptions the points-fraud rules held for review (issue 21). GET /admin/held-redemptions lists them
// with the signals that fired; POST /admin/held-redemptions/{id}/release makes one final (points.redeemed goes out),
// /reject gives its points back. A decided hold answers 409 and nothing changes; each decision is audited.
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import { DomainError } from '../domain/errors.ts';
import type { HeldRedemption, HeldRedemptionsRepository } from '../domain/loyalty/held-redemptions.repository.ts';

const listQuery = z.object({
  status: z.enum(['held', 'released', 'rejected']).default('held'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.string().min(1).max(100).optional(),
}).strict();

export function heldRedemptionJson(hold: HeldRedemption) {
  return {
    id: hold.id,
    member: hold.accountId,
    points: hold.points,
    partner_id: hold.partnerId,
    reason: hold.reason,
    entry_id: hold.entryId,
    score: hold.score,
    signals: hold.signals,
    status: hold.status,
    created_at: hold.createdAt.toISOString(),
    decided_at: hold.decidedAt?.toISOString() ?? null,
    decided_by: hold.decidedBy,
  };
}

export function heldRedemptionHandlers(deps: { holds: HeldRedemptionsRepository; audit: Pick<AuditLog, 'record'> }) {
  const decide = (action: 'release' | 'reject') => async (ctx: RouterContext) => {
    const id = String(ctx.params.id);
    const by = String(ctx.state.adminClientId);
    const result = action === 'release' ? await deps.holds.release(id, by) : await deps.holds.reject(id, by);
    if (!result.ok && result.reason === 'not_found') throw new DomainError('not_found', 'no such held redemption');
    if (!result.ok) {
      throw new DomainError('conflict', `this redemption was ${result.hold?.status ?? 'decided'} already; nothing changed`, { details: { status: result.hold?.status ?? null } });
    }
    const { hold } = result;
    await deps.audit.record({
      type: 'redemption', accountId: hold.accountId, ip: ctx.ip, userAgent: ctx.get('user-agent') || null,
      reason: action === 'release' ? 'hold_released' : 'hold_rejected',
      details: { hold_id: hold.id, points: hold.points, score: hold.score, signals: hold.signals.join(' '), admin_client_id: by },
    });
    ctx.body = heldRedemptionJson(hold);
  };

  return {
    async list(ctx: RouterContext) {
      const parsed = listQuery.safeParse(ctx.query);
      if (!parsed.success) throw new DomainError('invalid_input', 'query: status=held|released|rejected, limit 1-100, after=<id>', { expose: true });
      const { status, limit, after } = parsed.data;
      const holds = await deps.holds.list(status, { limit, ...(after === undefined ? {} : { after }) });
      ctx.body = { held_redemptions: holds.map(heldRedemptionJson), next_after: holds.length === limit ? (holds.at(-1)?.id ?? null) : null };
    },
    release: decide('release'),
    reject: decide('reject'),
  };
}
