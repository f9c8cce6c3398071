// Security notices to the account's email after a change made on the account pages.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { OutgoingEmail } from '../../server/domain/mail/mailer.ts';
import type { InteractionDeps } from '../shared/deps.ts';

/** The change is made either way: a notice that cannot be sent is logged, not turned into an error page. */
export async function notifyOwner(deps: InteractionDeps, ctx: Context, message: OutgoingEmail): Promise<void> {
  await deps.mailer.send(message).catch((error: unknown) => {
    (ctx.state.log as Logger).warn({ err: error }, 'security notice not sent');
  });
}
