// Gives every request an id (echoed as X-Request-Id), its client address and scope, and one access-log line without query or body.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { clientAddress, runInRequestScope, userAgentOf } from './request-scope.ts';

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function requestContext(logger: Logger, trustProxy: boolean): Middleware {
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
      // ctx.path, never ctx.url: query strings can carry codes, tokens and login hints.
      logger.info(
        { requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started), ip },
        'request',
      );
    }
  };
}
