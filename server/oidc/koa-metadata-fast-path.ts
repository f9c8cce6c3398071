// Discovery and the JWKS answered from bodies built once per key set, ahead of the middleware stack and oidc-provider.
import type { Middleware } from 'koa';

/** The two documents relying parties poll; each answer is the same for every request until the key set changes. */
const PATHS = new Set(['/.well-known/openid-configuration', '/jwks']);

interface Snapshot {
  /** The key-set version it was built under: a rotation or retirement makes it stale. */
  version: number;
  body: Buffer;
  type: string;
  cacheControl: string;
}

/**
 * Under sign-in load these documents waited behind every middleware below (session guard, language, error
 * pages, routers) and oidc-provider's own stack, then were serialised again per request, and a relying party
 * polls them. The first answer under a key-set version is made by the full stack, as before, and kept as the
 * bytes sent, with the headers that stack chose (type, Cache-Control); later ones replay it with oidc-provider's
 * open CORS (the caller's Origin, or `*`, and `Vary: Origin`: the same as its `CORS.open`). The security headers
 * and the request id come from the middleware in front of this one, as for every answer. Only exact GET/HEAD
 * paths with a 200 are kept; anything else (preflights, other methods, errors, path variants) takes the usual way.
 */
export function metadataFastPath(keySetVersion: () => number): Middleware {
  const snapshots = new Map<string, Snapshot>();
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !PATHS.has(ctx.path)) return next();
    const version = keySetVersion();
    const kept = snapshots.get(ctx.path);
    if (kept?.version === version) {
      ctx.vary('Origin');
      ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
      ctx.set('Cache-Control', kept.cacheControl);
      // Before the body, so Koa keeps it instead of typing a Buffer as octet-stream.
      ctx.set('Content-Type', kept.type);
      ctx.body = kept.body;
      return;
    }
    await next();
    if (ctx.status !== 200) return;
    // Kept once sent: middleware outside this one may still change the answer (koa-discovery-response-types.ts
    // narrows discovery's response types on the way out), and what is replayed must be what was sent.
    ctx.res.once('finish', () => {
      const cacheControl = ctx.response.get('Cache-Control');
      // A plain JSON object only (what oidc-provider answers): Koa serialised it the same way.
      if (ctx.status !== 200 || !cacheControl || ctx.body === null || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body) || 'pipe' in ctx.body) return;
      // Under the version read before the answer was built: a rotation meanwhile leaves it stale, never wrong.
      snapshots.set(ctx.path, { version, body: Buffer.from(JSON.stringify(ctx.body)), type: ctx.response.get('Content-Type'), cacheControl });
    });
  };
}
