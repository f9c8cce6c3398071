// "Sign out everywhere else": ends every other session of the member (after a lost device or a factor
// change), keeping the one in this browser.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';

export function sessionSettings(deps: InteractionDeps) {
  return {
    async endOthers(ctx: Context) {
      const { account, sessionId } = memberOf(ctx);
      const ended = await deps.memberSessions.endOthers(account.id, sessionId);
      (ctx.state.log as Logger).info({ accountId: account.id, ended }, 'other sessions ended by the member');
      seeOther(ctx, '/account/security?notice=sessions_ended');
    },
  };
}
