// Counts and times every HTTP request by route template: labels come from a fixed table (never the raw path, which
// carries interaction uids, codes and member ids), and the per-request work is a table lookup, two map updates and
// one histogram observe, so the token endpoint pays microseconds for it.
import type { Context, Middleware, Next } from 'koa';
import type { Metrics } from './metrics.ts';

/** Whole paths served by oidc-provider and us that have no variable part. */
const EXACT_ROUTES = [
  '/token', '/auth', '/jwks', '/me', '/reg', '/request', '/session/end', '/session/end/confirm', '/token/introspection',
  '/token/revocation', '/device', '/device/auth', '/backchannel', '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server', '/healthz', '/readyz', '/metrics', '/favicon.ico', '/',
];

/**
 * First path segment → label for anything under it; the bare segment and the segment plus a variable keep their own
 * label (`/interaction/:uid` is the page, `/interaction/:uid/...` its form posts). Ids never reach a label.
 */
const PREFIX_ROUTES: Record<string, { bare: string; one: string; deeper: string }> = {
  interaction: { bare: 'other', one: '/interaction/:uid', deeper: '/interaction/:uid/...' },
  admin: { bare: '/admin', one: '/admin/...', deeper: '/admin/...' },
  'partner-api': { bare: '/partner-api/...', one: '/partner-api/...', deeper: '/partner-api/...' },
  api: { bare: '/api/v1/...', one: '/api/v1/...', deeper: '/api/v1/...' },
  account: { bare: '/account', one: '/account/...', deeper: '/account/...' },
  unlock: { bare: 'other', one: '/unlock/:token', deeper: '/unlock/:token' },
  static: { bare: '/static/...', one: '/static/...', deeper: '/static/...' },
  auth: { bare: '/auth', one: '/auth/:uid', deeper: '/auth/:uid' },
  session: { bare: 'other', one: 'other', deeper: '/session/end/...' },
  reg: { bare: '/reg', one: '/reg/:client_id', deeper: 'other' },
};

const METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);

const EXACT = new Set(EXACT_ROUTES);

/** The route label of a path: one Set lookup for the protocol endpoints, a segment scan for the rest. */
export function routeLabel(path: string): string {
  if (EXACT.has(path)) return path;
  // '/interaction/abc/login' → segment 'interaction', then how many segments follow it.
  const end = path.indexOf('/', 1);
  const segment = end === -1 ? path.slice(1) : path.slice(1, end);
  if (!Object.hasOwn(PREFIX_ROUTES, segment)) return 'other';
  const prefix = PREFIX_ROUTES[segment]!;
  if (end === -1 || end === path.length - 1) return prefix.bare;
  const next = path.indexOf('/', end + 1);
  return next === -1 || next === path.length - 1 ? prefix.one : prefix.deeper;
}

/** Route labels in a fixed order, so a (route, method, code) triple packs into one small integer key. */
const ROUTES = [...new Set([...EXACT_ROUTES, ...Object.values(PREFIX_ROUTES).flatMap((p) => [p.bare, p.one, p.deeper]), 'other'])];
const ROUTE_INDEX = new Map(ROUTES.map((route, index) => [route, index]));
const METHOD_LIST = [...METHODS, 'other'];
const METHOD_INDEX = new Map(METHOD_LIST.map((method, index) => [method, index]));

export function httpMetrics(metrics: Metrics): Middleware {
  // Requests since the last scrape, keyed (route, method, code) → count: small-integer keys and values, so
  // counting allocates nothing; the scrape moves them into the counter (its collect() below).
  const tally = new Map<number, number>();
  // One labels object per (route, method), made once: the histogram observe is handed the same object each time.
  const durationLabels = ROUTES.map((route) => METHOD_LIST.map((method) => ({ route, method })));
  const counter = metrics.httpRequests;
  metrics.beforeScrape(() => {
    for (const [key, count] of tally) {
      const code = key % 1000;
      const method = Math.floor(key / 1000) % 16;
      const route = Math.floor(key / 16_000);
      counter.inc({ route: ROUTES[route]!, method: METHOD_LIST[method]!, code: String(code) }, count);
    }
    tally.clear();
  });

  const record = (ctx: Context, status: number, started: number) => {
    const route = ROUTE_INDEX.get(routeLabel(ctx.path))!;
    const method = METHOD_INDEX.get(METHODS.has(ctx.method) ? ctx.method : 'other')!;
    const key = (route * 16 + method) * 1000 + (status >= 100 && status <= 999 ? status : 500);
    tally.set(key, (tally.get(key) ?? 0) + 1);
    metrics.httpDuration.observe(durationLabels[route]![method]!, (performance.now() - started) / 1000);
  };

  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } catch (error) {
      // Escaped every handler: Koa answers with the error's own status (an HttpError's) or 500.
      const status = (error as { status?: unknown } | null)?.status;
      record(ctx, typeof status === 'number' ? status : 500, started);
      throw error;
    }
    record(ctx, ctx.status, started);
  };
}
