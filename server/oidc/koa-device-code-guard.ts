// Guards the hosted device page's form (POST /device, oidc-provider's code_verification): user codes are
// short, so guesses are limited per client address and per browser session (issue 14 item 9); and a post
// without the session the form came from (no cookie, or one naming a session that ended) is a 400 page, not
// the 500 oidc-provider answers (item 23); so is the resume URL (GET /device/:uid) without one.
import type { Context, Middleware, Next } from 'koa';
import { DomainError } from '../domain/errors.ts';
import { renderErrorPage } from '../middleware/koa-error-handler.ts';
import type { LimitRule, RateLimitStore } from '../security/rate-limit/rate-limiter.ts';

/** oidc-provider's session cookie (cookies.names.session, left at its default). */
const SESSION_COOKIE = '_session';
const WINDOW = 15 * 60;

/**
 * A member types a code once or twice (each entry and its confirmation is one post); a shared address (a
 * store's Wi-Fi) has several members. Guessing a live code in a space of 20^8 needs far more than either.
 */
export const DEVICE_CODE_RULES: Record<'address' | 'session', LimitRule> = {
  address: { name: 'device-code-address', points: 30, durationSeconds: WINDOW },
  session: { name: 'device-code-session', points: 10, durationSeconds: WINDOW },
};

const DEVICE_PATH = /^\/device\/?$/i;
/** oidc-provider's device_resume (GET /device/:uid), where the browser returns after the sign-in: it needs the session too. */
const RESUME_PATH = /^\/device\/[^/]+\/?$/i;

/**
 * `sessionExists`: whether the store still holds the session a cookie names. oidc-provider stands in an
 * unsaved session for one it cannot find (signed out, ended by a password reset, expired) and then fails to
 * persist it: a 500, as with no cookie at all.
 */
export function deviceCodeGuard(store: RateLimitStore, sessionExists: (id: string) => Promise<boolean>): Middleware {
  const perAddress = store.limiter(DEVICE_CODE_RULES.address);
  const perSession = store.limiter(DEVICE_CODE_RULES.session);
  return async (ctx: Context, next: Next) => {
    const form = ctx.method === 'POST' && DEVICE_PATH.test(ctx.path);
    const resume = (ctx.method === 'GET' || ctx.method === 'HEAD') && RESUME_PATH.test(ctx.path);
    if (!form && !resume) return next();
    const session = ctx.cookies.get(SESSION_COOKIE);
    if (!session || !(await sessionExists(session))) {
      // The form's xsrf value lives in the session: without it no code can be checked, so say the page expired.
      await renderErrorPage(ctx, 400, 'device.error.session');
      return undefined;
    }
    if (resume) return next();
    // The address first: a fresh session per guess is free to get, an address is not.
    for (const [limiter, key] of [[perAddress, String(ctx.state.clientIp ?? ctx.ip)], [perSession, session]] as const) {
      const result = await limiter.consume(key);
      if (!result.allowed) {
        throw new DomainError('rate_limited', `rate limit ${limiter.rule.name} reached`, { details: { retryAfterSeconds: result.retryAfterSeconds, messageId: 'error.blocked.device_code' } });
      }
    }
    return next();
  };
}
