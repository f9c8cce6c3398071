// "No dead ends" for the answers nobody renders as a page: an unknown path gets our 404 page (with the way
// back) instead of a bare "Not Found", and the signed-out page after "Sign out" at a client's logout still
// knows which client it was, so it can offer the way back to that client's site.
import type { Context, Middleware, Next } from 'koa';
import { renderErrorPage } from '../middleware/koa-error-handler.ts';

const API_PATHS = /^\/(?:admin|api|partner-api)(?:\/|$)/i;

/** After every route: a GET for a page nobody answered becomes the 404 page. APIs and non-browsers keep theirs. */
export function notFoundPage(): Middleware {
  const pageAfter404 = async (ctx: Context, next: Next): Promise<void> => {
    await next();
    if (ctx.status !== 404 || ctx.body != null) return;
    if (ctx.accepts('json', 'html') !== 'html') return;
    await renderErrorPage(ctx, 404, 'error.not_found');
  };
  // Method and path are known before the routes run: a POST (every token request) or an API call passes straight
  // through, without an async frame of its own (issue 19: allocation on the token path).
  return (ctx, next) => ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || API_PATHS.test(ctx.path) ? next() : pageAfter404(ctx, next));
}

export const LOGOUT_CONFIRM_PATHS = /^\/session\/end\/confirm\/?$/i;

/**
 * oidc-provider forwards the client to its success page only when the member chose to stay signed in
 * elsewhere; after "Sign out" (logout=yes) the page would not know the client. Its id is added back to that
 * redirect (our own success URL, never a client's post_logout_redirect_uri), so the page offers its site.
 */
export function logoutWayBack(successPath: string): (ctx: Context, next: Next) => Promise<void> {
  return async (ctx, next) => {
    await next();
    const clientId = (ctx as Context & { oidc?: { client?: { clientId: string } } }).oidc?.client?.clientId;
    const location = ctx.response.get('location');
    if (ctx.status !== 303 || !clientId || !location) return;
    // oidc-provider's urlFor: an absolute URL on the issuer.
    let target: URL;
    try {
      target = new URL(location);
    } catch {
      return;
    }
    if (target.pathname !== successPath || target.searchParams.has('client_id')) return;
    target.searchParams.set('client_id', clientId);
    ctx.redirect(target.href);
    ctx.status = 303;
  };
}
