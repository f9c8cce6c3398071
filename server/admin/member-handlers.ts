// Admin API on members, by their public (non-pairwise) `sub`: a profile summary for support, the member's data
// export (GDPR art. 15/20, audited), and erasure (art. 17) after the grace period or, with ?grace=none, now.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import { DomainError } from '../domain/errors.ts';
import type { FactorsRepository } from '../domain/factors/factors.repository.ts';
import type { LoyaltyRepository } from '../domain/loyalty/loyalty.repository.ts';
import type { PasskeysRepository } from '../domain/passkeys/passkeys.repository.ts';
import type { MemberErasure } from '../domain/privacy/member-erasure.ts';
import type { MemberExports } from '../domain/privacy/member-export.ts';
import { fieldErrors } from './client-input.ts';

export interface MemberAdminDeps {
  accounts: AccountsRepository;
  loyalty: LoyaltyRepository;
  factors: FactorsRepository;
  passkeys: PasskeysRepository;
  exports: MemberExports;
  erasure: MemberErasure;
  audit: AuditLog;
}

const eraseQuery = z.object({ grace: z.literal('none', { error: 'the only value is "none" (erase now); leave it out for the 14-day grace period' }).optional() }).strict();

export function memberHandlers(deps: MemberAdminDeps) {
  async function accountOf(ctx: Context) {
    const id = String(ctx.params.id ?? '');
    const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
    if (!account) throw new DomainError('not_found', 'no such member');
    return account;
  }

  return {
    /** What support needs to recognise the member (issue 20 reads it too); never secrets or hashes. */
    async read(ctx: Context) {
      const account = await accountOf(ctx);
      const member = await deps.loyalty.findMember(account.id);
      const apps = (await deps.factors.listByAccount(account.id)).filter((factor) => factor.confirmedAt !== null);
      const erasure = await deps.erasure.scheduled(account.id);
      ctx.body = {
        sub: account.id,
        email: account.email,
        email_verified: account.emailVerified,
        phone: account.phone,
        has_password: account.passwordHash !== null,
        authenticator_apps: apps.length,
        passkeys: await deps.passkeys.countByAccount(account.id),
        member_number: member?.memberNumber ?? null,
        points_balance: member?.balance ?? 0,
        lifetime_points: member?.lifetimePoints ?? 0,
        created_at: account.createdAt.toISOString(),
        updated_at: account.updatedAt.toISOString(),
        erasure_scheduled_for: erasure ? erasure.eraseAt.toISOString() : null,
      };
    },

    async exportArchive(ctx: Context) {
      const account = await accountOf(ctx);
      const archive = await deps.exports.archive(account);
      // GETs are not audited by the admin router: a copy of a member's data leaving is, with who took it.
      await deps.audit.record({
        type: 'member.exported', accountId: account.id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: 'admin',
        details: { admin_client_id: String(ctx.state.adminClientId ?? '') || null, actor: (ctx.state.adminCaller as { actor?: string } | undefined)?.actor ?? null },
      });
      ctx.set('Content-Disposition', `attachment; filename="member-${account.id}.json"`);
      ctx.body = archive;
    },

    async erase(ctx: Context) {
      const query = eraseQuery.safeParse(ctx.query);
      if (!query.success) throw new DomainError('invalid_input', 'invalid query', { details: { fields: fieldErrors(query.error) } });
      const account = await accountOf(ctx);
      const outcome = await deps.erasure.request(account.id, { grace: query.data.grace ?? 'default', by: 'admin' });
      if (outcome.status === 'unknown_member') throw new DomainError('not_found', 'no such member');
      if (outcome.status === 'erased') {
        ctx.status = 204;
        return;
      }
      ctx.status = 202;
      ctx.body = { sub: account.id, status: 'scheduled', erase_at: outcome.request.eraseAt.toISOString(), requested_at: outcome.request.requestedAt.toISOString() };
    },
  };
}
