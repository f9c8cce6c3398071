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

/** ctx.state of every request: its id and address, a logger bound to the id, and whatever later middleware adds. */
class RequestState {
  [key: string]: unknown;
  readonly requestId: string;
  readonly clientIp: string;
  readonly #logger: Logger;
  #log: Logger | undefined;

  constructor(logger: Logger, requestId: string, clientIp: string) {
    this.#logger = logger;
    this.requestId = requestId;
    this.clientIp = clientIp;
  }

  /**
   * Made on first use, and only for the requests that log more than their access line: a child logger
   * for every request, or a getter defined on every request's state, was a measurable share of a token
   * request's cost.
   */
  get log(): Logger {
    return (this.#log ??= this.#logger.child({ requestId: this.requestId }));
  }
}

export function requestContext(logger: Logger, trustProxy: boolean): Middleware {
  // The access line's fields are fixed and carry no secret, so it skips the redaction pass every other
  // log call gets (which costs as much as the rest of the line).
  const accessLog = logger.child({}, { redact: [] });
  return async (ctx, next) => {
    // Only a trusted proxy may choose the id; otherwise a client could forge log correlation.
    const incoming = trustProxy ? ctx.get('x-request-id') : '';
    const requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    const ip = clientAddress(ctx.ip);
    // This is the first middleware, so there is no state yet to keep.
    ctx.state = new RequestState(logger, requestId, ip);
    ctx.set('X-Request-Id', requestId);
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
