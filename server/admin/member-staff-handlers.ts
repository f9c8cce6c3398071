// Admin API for support work on members (issue 20): search by email, phone, member number or name prefix,
// and points adjustments with a reason (Idempotency-Key; above the caller's limit, a second person approves).
import type { Context } from 'koa';
import { z } from 'zod';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import { DomainError } from '../domain/errors.ts';
import type { LoyaltyRepository } from '../domain/loyalty/loyalty.repository.ts';
import { MAX_POINTS_PER_ENTRY } from '../domain/loyalty/loyalty-service.ts';
import type { ProfilesRepository } from '../domain/profile/profiles.repository.ts';
import type { MemberSearch } from '../domain/staff/member-search.ts';
import type { PointsAdjustments } from '../domain/staff/points-adjustments.ts';
import type { PointsAdjustment, StaffRepository } from '../domain/staff/staff.repository.ts';
import { textField } from '../domain/text.ts';
import { fieldErrors } from './client-input.ts';
import { callerOf } from './koa-require-admin-token.ts';

export interface MemberStaffDeps {
  accounts: Pick<AccountsRepository, 'findById'>;
  loyalty: Pick<LoyaltyRepository, 'findMember'>;
  profiles: Pick<ProfilesRepository, 'find'>;
  staff: Pick<StaffRepository, 'listPendingAdjustments'>;
  search: MemberSearch;
  adjustments: PointsAdjustments;
}

const searchQuery = z.object({
  q: z.string(),
  limit: z.string().regex(/^\d{1,2}$/, 'expected 1-50').optional(),
  cursor: z.string().max(400).optional(),
}).strict();

const adjustmentInput = z.object({
  points: z.number().int('must be a whole number').refine((n) => n !== 0, 'must not be 0').refine((n) => Math.abs(n) <= MAX_POINTS_PER_ENTRY, `must be at most ${MAX_POINTS_PER_ENTRY} either way`),
  reason: textField(200, 3),
  /** The `points_version` the caller read: refused when the member's points changed since. */
  expected_version: z.number().int().min(0).optional(),
}).strict();

/** Idempotency-Key: printable ASCII, as the partner API takes it. */
const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,100}$/;

function adjustmentView(adjustment: PointsAdjustment) {
  return {
    id: adjustment.id, status: adjustment.status, points: adjustment.points, reason: adjustment.reason, requested_by: adjustment.requestedBy,
    decided_by: adjustment.decidedBy, decided_at: adjustment.decidedAt?.toISOString() ?? null, ledger_entry_id: adjustment.ledgerEntryId,
    created_at: adjustment.createdAt.toISOString(),
  };
}

export function memberStaffHandlers(deps: MemberStaffDeps) {
  async function accountOf(ctx: Context) {
    const id = String(ctx.params.id ?? '');
    const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
    if (!account) throw new DomainError('not_found', 'no such member');
    return account;
  }

  function context(ctx: Context) {
    return { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null };
  }

  return {
    async search(ctx: Context) {
      const parsed = searchQuery.safeParse(ctx.query);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid query', { details: { fields: fieldErrors(parsed.error) } });
      const limit = Number(parsed.data.limit ?? '20');
      if (limit < 1 || limit > 50) throw new DomainError('invalid_input', 'invalid query', { details: { fields: { limit: 'expected 1-50' } } });
      const page = await deps.search.search(parsed.data.q, { limit, ...(parsed.data.cursor !== undefined ? { cursor: parsed.data.cursor } : {}) });
      const items = [];
      for (const id of page.accountIds) {
        const account = await deps.accounts.findById(id);
        if (!account) continue;
        const member = await deps.loyalty.findMember(id);
        const { fields } = await deps.profiles.find(id);
        items.push({
          sub: account.id, email: account.email, phone: account.phone, member_number: member?.memberNumber ?? null,
          given_name: fields.given_name?.value ?? null, family_name: fields.family_name?.value ?? null, points_balance: member?.balance ?? 0,
        });
      }
      ctx.body = { items, next: page.next, matched_by: page.matchedBy };
    },

    async adjust(ctx: Context) {
      const key = ctx.get('idempotency-key');
      if (!IDEMPOTENCY_KEY.test(key)) throw new DomainError('invalid_input', 'an Idempotency-Key header (1-100 printable ASCII characters) is required', { details: { fields: { 'Idempotency-Key': 'required' } } });
      const parsed = adjustmentInput.safeParse(ctx.request.body);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid adjustment', { details: { fields: fieldErrors(parsed.error) } });
      const account = await accountOf(ctx);
      const outcome = await deps.adjustments.request(callerOf(ctx), {
        accountId: account.id, points: parsed.data.points, reason: parsed.data.reason, idempotencyKey: key, expectedVersion: parsed.data.expected_version, ...context(ctx),
      });
      if (outcome.status === 'pending') {
        ctx.status = 202;
        ctx.body = { status: 'pending', adjustment: adjustmentView(outcome.adjustment) };
        return;
      }
      const { entry } = outcome;
      ctx.status = outcome.replayed ? 200 : 201;
      ctx.body = { status: 'applied', entry: { id: entry.id, points: entry.points, balance_after: entry.balanceAfter, reason: entry.reason, sequence: entry.sequence, created_at: entry.createdAt.toISOString() } };
    },

    async pending(ctx: Context) {
      const account = await accountOf(ctx);
      ctx.body = { items: (await deps.staff.listPendingAdjustments(account.id)).map(adjustmentView), points_version: await deps.adjustments.version(account.id) };
    },

    async approve(ctx: Context) {
      const account = await accountOf(ctx);
      const { adjustment, entry } = await deps.adjustments.approve(callerOf(ctx), account.id, String(ctx.params.adjustmentId ?? ''), context(ctx));
      ctx.body = { status: 'approved', adjustment: adjustmentView(adjustment), balance_after: entry.balanceAfter };
    },

    async reject(ctx: Context) {
      const account = await accountOf(ctx);
      ctx.body = { status: 'rejected', adjustment: adjustmentView(await deps.adjustments.reject(callerOf(ctx), account.id, String(ctx.params.adjustmentId ?? ''), context(ctx))) };
    },
  };
}
