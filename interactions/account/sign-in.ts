// Signing in to the account pages: an ordinary authorization request of the account console client
// (response_type none), so every sign-in method, step-up and attack rule applies here too. "Confirm it
// is you" asks again with prompt=login and two factors.
import type { Context } from 'koa';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CONSOLE_CLIENT_ID } from '../../config/account-console-client.ts';
import { ACR } from '../../config/assurance.ts';
import { builtInClientSignIn } from '../shared/built-in-client-sign-in.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { rememberSignUpIntent } from '../home/sign-up-intent.ts';
import { wayBack } from '../../server/branding/way-back.ts';

export function accountSignIn(deps: InteractionDeps, options: { issuer: string; secure: boolean }) {
  const client = builtInClientSignIn({ clientId: ACCOUNT_CONSOLE_CLIENT_ID, callbackPath: ACCOUNT_CALLBACK_PATH, stateCookie: 'account-state' }, options);

  return {
    /**
     * Starts the sign-in; `?fresh=1` forces a new sign-in (no single sign-on), `?reauth=1` one with two factors,
     * `?signup=1` (the home page's "Create account") opens on the sign-up form.
     */
    start(ctx: Context) {
      if (ctx.query.signup === '1') rememberSignUpIntent(ctx, options.secure);
      const reauth = ctx.query.reauth === '1';
      const fresh = reauth || ctx.query.fresh === '1';
      client.redirectToAuthorization(ctx, {
        ...(fresh ? { prompt: 'login' as const } : {}),
        ...(reauth ? { acr_values: ACR.twoFactors } : {}),
      });
    },

    /** Back from the authorization endpoint: the state must be the one this browser was given. */
    async callback(ctx: Context) {
      if (!client.returnedWithOwnState(ctx)) {
        // Cancelled, expired or forged: nothing happened, so the member just gets the way back in.
        return renderPage(ctx, deps, 'account/signed-out', { signInUrl: '/account/sign-in', wayBack: wayBack(undefined) });
      }
      seeOther(ctx, '/account/security');
    },
  };
}
