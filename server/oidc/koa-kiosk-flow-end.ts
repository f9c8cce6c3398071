// On a shared kiosk, the member's session ends with the flow: once the authorization endpoint answers the
// kiosk client (a code, or an error such as the idle countdown's access_denied), the session is destroyed
// on the server, so the next person at the kiosk finds nobody signed in.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { isKioskClient } from './kiosk-client.ts';

/** oidc-provider routes that answer the client at the end of a flow (or send the browser to an interaction). */
const AUTHORIZATION_ROUTES: ReadonlySet<string> = new Set(['authorization', 'resume']);

export function kioskFlowEnd(): Middleware {
  return async (ctx, next) => {
    await next();
    const { oidc } = ctx as KoaContextWithOIDC;
    if (!oidc || !AUTHORIZATION_ROUTES.has(oidc.route) || !isKioskClient(oidc.client)) return;
    // Still inside the flow: oidc-provider sends the browser to one of our interaction pages.
    if ((ctx.response.get('Location') || '').includes('/interaction/')) return;
    const session = oidc.session;
    if (session) await session.destroy();
  };
}
