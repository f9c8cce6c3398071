// Cache-Control for the public protocol metadata: relying parties and CDNs may cache discovery and the JWKS.
import type { Middleware } from 'koa';

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
  return async (ctx, next) => {
    await next();
    const policy = POLICIES[ctx.path];
    if (policy && ctx.status === 200 && (ctx.method === 'GET' || ctx.method === 'HEAD')) ctx.set('Cache-Control', policy);
  };
}
