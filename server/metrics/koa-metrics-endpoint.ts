// GET /metrics in Prometheus text: with METRICS_TOKEN a bearer secret guards it; without, only a scraper on this host.
import type { Context, Middleware, Next } from 'koa';
import { constantTimeEqual } from '../security/crypto.ts';
import type { Metrics } from './metrics.ts';

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
/** Headers a reverse proxy adds: a request that carries one came from elsewhere, whatever the socket says. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/**
 * Without a token the rule is the socket's address (never X-Forwarded-For, which a client can write), plus no
 * forwarding header: a proxy on this host connects from loopback too, and what it forwards is not a local scrape.
 */
function localScrape(ctx: Context): boolean {
  const address = ctx.req.socket.remoteAddress ?? '';
  return LOOPBACK.test(address) && FORWARDING_HEADERS.every((name) => ctx.get(name) === '');
}

function bearerMatches(ctx: Context, token: string): boolean {
  const header = ctx.get('authorization');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  // Compared even when absent, against a value of the right length, so the answer's time says nothing about the token.
  return constantTimeEqual(match?.[1] ?? ' '.repeat(token.length), token) && match !== null;
}

export function metricsEndpoint(metrics: Metrics, token: string | undefined): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    // Not advertised to anyone who may not read it: without a token, the answer of a path that does not exist.
    if (token === undefined && !localScrape(ctx)) return next();
    ctx.set('Cache-Control', 'no-store');
    if (token !== undefined) {
      if (!bearerMatches(ctx, token)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        ctx.body = '';
        return undefined;
      }
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
    return undefined;
  };
}
