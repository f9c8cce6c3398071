// check-home-realm: an email whose domain routes to an enterprise connection is sent to that IdP instead of the password check.
import type { Context, Middleware } from 'koa';
import type { InteractionDeps } from '../shared/deps.ts';
import { connectionForEmail, type ShownConnection } from './connection-buttons.ts';

export function homeRealmDiscovery(deps: InteractionDeps, startWith: (ctx: Context, connection: ShownConnection, extra?: Record<string, string>) => Promise<void>): Middleware {
  return async (ctx, next) => {
    const email = (ctx.request.body as { email?: unknown } | undefined)?.email;
    const connection = typeof email === 'string' && email.length <= 320 ? await connectionForEmail(ctx, deps.federation.connections, email) : undefined;
    if (!connection) return next();
    // login_hint spares the member typing the address again at their company's sign-in page.
    return startWith(ctx, connection, { login_hint: email as string });
  };
}
