// Security notices to the account's email after a change made on the account pages.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { OutgoingEmail } from '../../server/domain/mail/mailer.ts';
import type { InteractionDeps } from '../shared/deps.ts';

export interface AccountChange {
  type: 'factor.added' | 'factor.removed' | 'phone.changed' | 'password.changed';
  accountId: string;
  /** What changed: passkey, totp, recovery_codes, phone_added, ... */
  reason: string;
}

/** A change to how the member signs in goes into the audit log (with who asked, from where). */
export async function recordChange(deps: InteractionDeps, ctx: Context, change: AccountChange): Promise<void> {
  await deps.audit.record({ ...change, ip: String(ctx.state.clientIp ?? '') || null, userAgent: ctx.get('user-agent').slice(0, 256) || null });
}

/**
 * The change is made either way: a notice that cannot be sent is logged, not turned into an error page.
 * With `change`, the change is also recorded in the audit log.
 */
export async function notifyOwner(deps: InteractionDeps, ctx: Context, message: OutgoingEmail, change?: AccountChange): Promise<void> {
  if (change) await recordChange(deps, ctx, change);
  await deps.mailer.send(message).catch((error: unknown) => {
    (ctx.state.log as Logger).warn({ err: error }, 'security notice not sent');
  });
}
