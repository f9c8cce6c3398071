// "Sign out" on the account pages: a POST with the session's CSRF token ends this browser's session (its
// partners get back-channel logout) and lands on the signed-out page, which offers the way back.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { wayBack } from '../../server/branding/way-back.ts';
import { memberOf } from './member-session.ts';

export const SIGNED_OUT_PATH = '/account/signed-out';

export function signOutPages(deps: InteractionDeps) {
  return {
    async signOut(ctx: Context) {
      const { account, sessionId } = memberOf(ctx);
      await deps.memberSessions.endById(account.id, sessionId);
      (ctx.state.log as Logger).info({ accountId: account.id }, 'member signed out on the account pages');
      seeOther(ctx, SIGNED_OUT_PATH);
    },

    /** The same page as after RP-initiated logout, without a client: the way back is the program's home. */
    async signedOut(ctx: Context) {
      await renderPage(ctx, deps, 'logout/success', { clientName: null, wayBack: wayBack(undefined) });
    },
  };
}
