// "Create account" from the home page: the account sign-in starts as usual (an authorization request of the
// account console), and a short-lived cookie asks the login prompt to open on the sign-up form instead of
// the sign-in form. It only picks which page comes first, so it needs no signature.
import type { Context } from 'koa';

export const SIGN_UP_PATH = '/account/sign-in?signup=1';
const COOKIE = 'sign-up-intent';
const TTL_MS = 10 * 60 * 1000;

export function rememberSignUpIntent(ctx: Context, secure: boolean): void {
  ctx.cookies.set(COOKIE, '1', { httpOnly: true, sameSite: 'lax', secure, path: '/interaction', signed: false, overwrite: true, maxAge: TTL_MS });
}

/** True once after "Create account": the cookie is cleared as it is read. */
export function takeSignUpIntent(ctx: Context): boolean {
  if (ctx.cookies.get(COOKIE, { signed: false }) !== '1') return false;
  ctx.cookies.set(COOKIE, null, { httpOnly: true, sameSite: 'lax', path: '/interaction', signed: false, overwrite: true });
  return true;
}
