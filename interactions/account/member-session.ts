// Who is on the account pages: the member of oidc-provider's SSO session cookie (never a form field),
// and whether their sign-in is recent and strong enough to change how they sign in.
import type { Context, Middleware } from 'koa';
import { ACR, acrRank, currentAmr, type FactorStrength, isSignedInAcr, RECENT_SIGN_IN_SECONDS, strongestFactor } from '../../config/assurance.ts';
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
  /** How the session signed in (RFC 8176 values, see AMR in config/assurance.ts). */
  amr: string[];
}

export const SIGN_IN_PATH = '/account/sign-in';

/**
 * Loads the signed-in member into ctx.state.member, or sends the browser to sign in. A session that
 * began before the account's credentials last changed (a password reset) counts as signed out, and so
 * does one below every signed-in level (isSignedInAcr): above all a right password on a risky device that
 * still owes its second factor, which must not read the email, phone, card or balance, nor end sessions.
 * Signing in again resumes that step-up (the mfa prompt asks for it on every authorization request).
 */
export function loadMember(deps: InteractionDeps): Middleware {
  return async (ctx, next) => {
    const session = await deps.provider.Session.get(ctx);
    const account = session.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    const loginTs = session.loginTs ?? 0;
    // loginTs has whole seconds: compared in milliseconds, a sign-in in the same second as the reset
    // would count as older than it and loop through the sign-in forever.
    const stale = account?.credentialsChangedAt && Math.floor(account.credentialsChangedAt.getTime() / 1000) > loginTs;
    if (!account || stale || !isSignedInAcr(session.acr)) {
      // A stale session would pass single sign-on again (and loop back here): it must sign in afresh.
      if (ctx.method === 'GET') return seeOther(ctx, stale ? `${SIGN_IN_PATH}?fresh=1` : SIGN_IN_PATH);
      return seeOther(ctx, '/account/security');
    }
    const member: Member = { account, sessionId: session.jti, loginTs, acr: session.acr, amr: currentAmr(session.amr) };
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

function refuse(ctx: Context, notice: 'reauth_needed' | 'reauth_stronger'): void {
  if (ctx.accepts('html', 'json') === 'json' && ctx.is('json')) {
    ctx.status = 403;
    ctx.body = { error: `account.${notice}` };
    return;
  }
  seeOther(ctx, `/account/security?notice=${notice}`);
}

/** Guard for the routes that add or remove a way to sign in: otherwise back to the page, which explains. */
export const requireRecentStrongSignIn: Middleware = async (ctx, next) => {
  if (!hasRecentStrongSignIn(memberOf(ctx))) return refuse(ctx, 'reauth_needed');
  await next();
};

/**
 * Guard for removing (or replacing) a factor: besides the recent strong sign-in, the session must have
 * proven a factor at least as strong as the one removed (FACTOR_STRENGTH), so two weak codes cannot take
 * away the app or a passkey that protects the account. Runs after requireRecentStrongSignIn.
 */
export function requireSignInAsStrongAs(strength: FactorStrength): Middleware {
  return async (ctx, next) => {
    if (strongestFactor(memberOf(ctx).amr) < strength) return refuse(ctx, 'reauth_stronger');
    await next();
  };
}
