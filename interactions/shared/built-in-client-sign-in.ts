// The state cookie and authorization request of a built-in client (account pages, operator console) signing in through our own /auth.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { constantTimeEqual } from '../../server/security/crypto.ts';
import { seeOther } from './page.ts';

const STATE_TTL_SECONDS = 60 * 60;

export interface BuiltInClient {
  clientId: string;
  callbackPath: string;
  /** The state cookie's name; gets the __Host- prefix when served over HTTPS. */
  stateCookie: string;
}

export function builtInClientSignIn(client: BuiltInClient, options: { issuer: string; secure: boolean }) {
  const cookieName = options.secure ? `__Host-${client.stateCookie}` : client.stateCookie;
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: options.secure, path: '/', signed: false, overwrite: true };

  return {
    /** Gives this browser a fresh state and sends it to the authorization endpoint (response_type none). */
    redirectToAuthorization(ctx: Context, extra: { prompt?: 'login'; acr_values?: string } = {}): void {
      const state = randomBytes(24).toString('base64url');
      ctx.cookies.set(cookieName, state, { ...cookie, maxAge: STATE_TTL_SECONDS * 1000 });
      const url = new URL('/auth', options.issuer);
      url.search = new URLSearchParams({
        client_id: client.clientId,
        response_type: 'none',
        redirect_uri: `${options.issuer}${client.callbackPath}`,
        scope: 'openid',
        state,
        ...extra,
      }).toString();
      seeOther(ctx, url.pathname + url.search);
    },

    /**
     * Back from the authorization endpoint: spends the state cookie and tells whether the answer is a success
     * for the state this browser was given (not cancelled, expired or forged).
     */
    returnedWithOwnState(ctx: Context): boolean {
      const expected = ctx.cookies.get(cookieName, { signed: false });
      ctx.cookies.set(cookieName, null, cookie);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
      if (!expected || !state || typeof ctx.query.error === 'string') return false;
      return constantTimeEqual(state, expected);
    },
  };
}
