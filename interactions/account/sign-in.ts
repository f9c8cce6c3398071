// Signing in to the account pages: an ordinary authorization request of the account console client
// (response_type none), so every sign-in method, step-up and attack rule applies here too. "Confirm it
// is you" asks again with prompt=login and two factors.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CONSOLE_CLIENT_ID } from '../../config/account-console-client.ts';
import { ACR } from '../../config/assurance.ts';
import { constantTimeEqual } from '../../server/security/crypto.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { rememberSignUpIntent } from '../home/sign-up-intent.ts';
import { wayBack } from '../../server/branding/way-back.ts';

const STATE_TTL_SECONDS = 60 * 60;

export function accountSignIn(deps: InteractionDeps, options: { issuer: string; secure: boolean }) {
  const cookieName = options.secure ? '__Host-account-state' : 'account-state';
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: options.secure, path: '/', signed: false, overwrite: true };

  return {
    /**
     * Starts the sign-in; `?fresh=1` forces a new sign-in (no single sign-on), `?reauth=1` one with two factors,
     * `?signup=1` (the home page's "Create account") opens on the sign-up form.
     */
    start(ctx: Context) {
      if (ctx.query.signup === '1') rememberSignUpIntent(ctx, options.secure);
      const reauth = ctx.query.reauth === '1';
      const fresh = reauth || ctx.query.fresh === '1';
      const state = randomBytes(24).toString('base64url');
      ctx.cookies.set(cookieName, state, { ...cookie, maxAge: STATE_TTL_SECONDS * 1000 });
      const url = new URL('/auth', options.issuer);
      url.search = new URLSearchParams({
        client_id: ACCOUNT_CONSOLE_CLIENT_ID,
        response_type: 'none',
        redirect_uri: `${options.issuer}${ACCOUNT_CALLBACK_PATH}`,
        scope: 'openid',
        state,
        ...(fresh ? { prompt: 'login' } : {}),
        ...(reauth ? { acr_values: ACR.twoFactors } : {}),
      }).toString();
      seeOther(ctx, url.pathname + url.search);
    },

    /** Back from the authorization endpoint: the state must be the one this browser was given. */
    async callback(ctx: Context) {
      const expected = ctx.cookies.get(cookieName, { signed: false });
      ctx.cookies.set(cookieName, null, cookie);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
      const error = typeof ctx.query.error === 'string';
      if (!expected || !state || !constantTimeEqual(state, expected) || error) {
        // Cancelled, expired or forged: nothing happened, so the member just gets the way back in.
        return renderPage(ctx, deps, 'account/signed-out', { signInUrl: '/account/sign-in', wayBack: wayBack(undefined) });
      }
      seeOther(ctx, '/account/security');
    },
  };
}
