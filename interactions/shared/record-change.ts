// A change to how a member signs in (factor, phone, password), recorded in the audit log with who asked and from where.
import type { Context } from 'koa';
import type { InteractionDeps } from './deps.ts';

export interface AccountChange {
  type: 'factor.added' | 'factor.removed' | 'phone.changed' | 'password.changed' | 'email.changed';
  accountId: string;
  /** What changed: passkey, totp, recovery_codes, phone_added, ... */
  reason: string;
}

/** Never throws (AuditLog.record does not): the change is made either way. */
export async function recordChange(deps: InteractionDeps, ctx: Context, change: AccountChange): Promise<void> {
  await deps.audit.record({ ...change, ip: String(ctx.state.clientIp ?? '') || null, userAgent: ctx.get('user-agent').slice(0, 256) || null });
}

