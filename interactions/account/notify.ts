// Security notices to the account's email after a change made on the account pages.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { OutgoingEmail } from '../../server/domain/mail/mailer.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { type AccountChange, recordChange } from '../shared/record-change.ts';

/**
 * `message` null: the member has no email. The change is made either way: a notice that cannot be sent is logged, not turned into an error page.
 * With `change`, the change is also recorded in the audit log.
 */
export async function notifyOwner(deps: InteractionDeps, ctx: Context, message: OutgoingEmail | null, change?: AccountChange): Promise<void> {
  if (change) await recordChange(deps, ctx, change);
  // A phone-first member without an email gets no mail (the change is still recorded).
  if (!message) return;
  await deps.mailer.send(message).catch((error: unknown) => {
    (ctx.state.log as Logger).warn({ err: error }, 'security notice not sent');
  });
}
