// Admin API on staff roles (issue 20): read the staff list or one member's roles, and replace a member's roles
// (owners only when the caller is a staff member; optimistic concurrency with `version`).
import type { Context } from 'koa';
import { z } from 'zod';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import { DomainError } from '../domain/errors.ts';
import type { StaffMember, StaffRepository } from '../domain/staff/staff.repository.ts';
import { staffRole } from '../domain/staff/staff-roles.ts';
import { fieldErrors } from './client-input.ts';
import { callerOf } from './koa-require-admin-token.ts';

const rolesInput = z.object({
  roles: z.array(staffRole).max(10),
  /** The version read before editing (0: the member had no roles); left out, the change is unconditional. */
  version: z.number().int().min(0).optional(),
}).strict();

function view(accountId: string, staff: StaffMember | undefined) {
  return { sub: accountId, roles: staff?.roles ?? [], version: staff?.version ?? 0, updated_at: staff?.updatedAt.toISOString() ?? null };
}

export function staffHandlers(deps: { staff: StaffRepository; accounts: Pick<AccountsRepository, 'findById'>; audit: Pick<AuditLog, 'record'> }) {
  async function accountId(ctx: Context): Promise<string> {
    const id = String(ctx.params.id ?? '');
    const account = id.length <= 200 ? await deps.accounts.findById(id) : undefined;
    if (!account) throw new DomainError('not_found', 'no such member');
    return account.id;
  }

  return {
    async list(ctx: Context) {
      ctx.body = { items: (await deps.staff.list()).map((staff) => view(staff.accountId, staff)) };
    },

    async read(ctx: Context) {
      const id = await accountId(ctx);
      ctx.body = view(id, await deps.staff.find(id));
    },

    async replace(ctx: Context) {
      const parsed = rolesInput.safeParse(ctx.request.body);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid staff roles', { details: { fields: fieldErrors(parsed.error) } });
      const id = await accountId(ctx);
      const result = await deps.staff.setRoles(id, parsed.data.roles, parsed.data.version);
      if (!result.ok) {
        throw new DomainError('conflict', 'these roles were changed by someone else since you read them; read them again', { details: { reason: 'stale', current: view(id, result.current) } });
      }
      await deps.audit.record({
        type: 'staff.roles_changed', accountId: id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: 'admin',
        details: { actor: callerOf(ctx).actor, roles: (result.staff?.roles ?? []).join(' ') || null },
      });
      ctx.body = view(id, result.staff);
    },
  };
}
