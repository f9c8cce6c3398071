// Cache-Control for the public protocol metadata: relying parties and CDNs may cache discovery and the JWKS.
import type { Context, Middleware, Next } from 'koa';

/**
 * Discovery changes only with a deployment: an hour. The JWKS is re-read often (5 minutes) because a new
 * signing key is published before it is used (the rotation's publish delay, an hour, is far longer), and a
 * relying party that cached the set must see the new key in time; a retired key stays published until every
 * token it signed has expired. Only successful answers are cacheable.
 */
const POLICIES: Record<string, string> = {
  '/.well-known/openid-configuration': 'public, max-age=3600',
  '/jwks': 'public, max-age=300',
};

export function metadataCacheControl(): Middleware {
  const cacheable = async (ctx: Context, next: Next, policy: string): Promise<void> => {
    await next();
    if (ctx.status === 200) ctx.set('Cache-Control', policy);
  };
  // Decided before the routes run (method and path do not change), so every other request, a token request among
  // them, passes straight through without an async frame of its own (issue 19: allocation on the token path).
  return (ctx, next) => {
    const policy = ctx.method === 'GET' || ctx.method === 'HEAD' ? POLICIES[ctx.path] : undefined;
    return policy ? cacheable(ctx, next, policy) : next();
  };
}
