// "Create account" from the home page: the account sign-in starts as usual (an authorization request of the
// account console), and a short-lived cookie asks the login prompt to open on the sign-up form instead of
// the sign-in form. It only picks which page comes first, so it needs no signature.
import type { Context } from 'koa';

export const SIGN_UP_PATH = '/account/sign-in?signup=1';
/** __Host- in production like our other cookies (Secure, path /, no Domain); plain over development http. */
const SECURE_COOKIE = '__Host-sign-up-intent';
const PLAIN_COOKIE = 'sign-up-intent';
const TTL_MS = 10 * 60 * 1000;

const options = (secure: boolean) => ({ httpOnly: true, sameSite: 'lax' as const, secure, path: '/', signed: false, overwrite: true });

export function rememberSignUpIntent(ctx: Context, secure: boolean): void {
  ctx.cookies.set(secure ? SECURE_COOKIE : PLAIN_COOKIE, '1', { ...options(secure), maxAge: TTL_MS });
}

/** True once after "Create account": the cookie is cleared as it is read. */
export function takeSignUpIntent(ctx: Context): boolean {
  for (const [name, secure] of [[SECURE_COOKIE, true], [PLAIN_COOKIE, false]] as const) {
    if (ctx.cookies.get(name, { signed: false }) !== '1') continue;
    // A Secure cookie can only be cleared over https; behind the proxy Koa must know the request was (TRUST_PROXY).
    if (!secure || ctx.secure) ctx.cookies.set(name, null, options(secure));
    return true;
  }
  return false;
}
