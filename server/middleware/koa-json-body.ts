// parse-json-body: JSON only, 64 KB at most unless a route says otherwise; the wrong type, too much or broken
// JSON each get their own status.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { DomainError } from '../domain/errors.ts';

const DEFAULT_LIMIT = '64kb';

/** `limit` (bytes-style, e.g. '1mb') only for routes that take batches, such as the admin import. */
export function jsonBody(limit = DEFAULT_LIMIT): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    onError(error) {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new DomainError('payload_too_large', `request body larger than ${limit}`);
      // raw-body's 415: a Content-Encoding or charset it cannot decode.
      if (status === 415) throw new DomainError('unsupported_media_type', 'unsupported content encoding or charset');
      throw new DomainError('invalid_input', 'request body is not valid JSON');
    },
  });
  return async (ctx, next) => {
    // No body at all (ctx.is() is null, or an untyped Content-Length: 0): the schema reports the missing
    // body as a 400 with field errors. A body of any other type than JSON is refused before it is read.
    const type = ctx.is('application/json');
    if (type === null || (ctx.request.length === 0 && !ctx.get('content-type'))) return next();
    if (type === false) throw new DomainError('unsupported_media_type', 'send the body as application/json');
    await parse(ctx, next);
  };
}
