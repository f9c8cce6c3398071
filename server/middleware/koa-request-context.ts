// Gives every request an id (echoed as X-Request-Id), its client address and scope, and one access-log line without query or body.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { clientAddress, runInRequestScope, userAgentOf } from './request-scope.ts';

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;
/** Paths that carry a secret: an emailed unlock link's token is as good as the link. */
const SECRET_IN_PATH = /^(\/unlock\/)[^/]+/i;

/** The path as logged: no query string (codes, tokens, login hints ride there), no secret segment. */
export function loggedPath(path: string): string {
  return path.replace(SECRET_IN_PATH, '$1[redacted]');
}

export function requestContext(logger: Logger, trustProxy: boolean): Middleware {
  // The access line's fields are fixed and carry no secret, so it skips the redaction pass every other
  // log call gets (which costs as much as the rest of the line).
  const accessLog = logger.child({}, { redact: [] });
  return async (ctx, next) => {
    // Only a trusted proxy may choose the id; otherwise a client could forge log correlation.
    const incoming = trustProxy ? ctx.get('x-request-id') : '';
    const requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    // A child logger is made only for the requests that log more than their access line: making one
    // for every request was a measurable share of a token request's cost.
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= logger.child({ requestId })), enumerable: true });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    const ip = clientAddress(ctx.ip);
    ctx.state.clientIp = ip;
    try {
      await runInRequestScope({ requestId, ip, userAgent: userAgentOf(ctx.get('user-agent')) }, next);
    } finally {
      accessLog.info(
        { requestId, method: ctx.method, path: loggedPath(ctx.path), status: ctx.status, ms: Math.round(performance.now() - started), ip },
        'request',
      );
    }
  };
}
