// Who is on the account pages: the member of oidc-provider's SSO session cookie (never a form field),
// and whether their sign-in is recent and strong enough to change how they sign in.
import type { Context, Middleware } from 'koa';
import { ACR, acrRank, RECENT_SIGN_IN_SECONDS } from '../../config/assurance.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';

export interface Member {
  account: Account;
  /** The session's id: what CSRF tokens bind to, and the session kept when ending the others. */
  sessionId: string;
  /** auth_time of the session, epoch seconds. */
  loginTs: number;
  acr: string | undefined;
}

export const SIGN_IN_PATH = '/account/sign-in';

/**
 * Loads the signed-in member into ctx.state.member, or sends the browser to sign in. A session that
 * began before the account's credentials last changed (a password reset) counts as signed out.
 */
export function loadMember(deps: InteractionDeps): Middleware {
  return async (ctx, next) => {
    const session = await deps.provider.Session.get(ctx);
    const account = session.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    const loginTs = session.loginTs ?? 0;
    // loginTs has whole seconds: compared in milliseconds, a sign-in in the same second as the reset
    // would count as older than it and loop through the sign-in forever.
    const stale = account?.credentialsChangedAt && Math.floor(account.credentialsChangedAt.getTime() / 1000) > loginTs;
    if (!account || stale) {
      // A stale session would pass single sign-on again (and loop back here): it must sign in afresh.
      if (ctx.method === 'GET') return seeOther(ctx, stale ? `${SIGN_IN_PATH}?fresh=1` : SIGN_IN_PATH);
      return seeOther(ctx, '/account/security');
    }
    const member: Member = { account, sessionId: session.jti, loginTs, acr: session.acr };
    ctx.state.member = member;
    await next();
  };
}

export function memberOf(ctx: Context): Member {
  return ctx.state.member as Member;
}

/** Two factors (or a passkey) within the last five minutes. */
export function hasRecentStrongSignIn(member: Member, nowSeconds = Date.now() / 1000): boolean {
  return nowSeconds - member.loginTs <= RECENT_SIGN_IN_SECONDS && acrRank(member.acr) >= acrRank(ACR.twoFactors);
}

/** Guard for the routes that add or remove a way to sign in: otherwise back to the page, which explains. */
export const requireRecentStrongSignIn: Middleware = async (ctx, next) => {
  if (!hasRecentStrongSignIn(memberOf(ctx))) {
    if (ctx.accepts('html', 'json') === 'json' && ctx.is('json')) {
      ctx.status = 403;
      ctx.body = { error: 'account.reauth_needed' };
      return;
    }
    return seeOther(ctx, '/account/security?notice=reauth_needed');
  }
  await next();
};
