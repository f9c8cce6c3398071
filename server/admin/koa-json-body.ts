// parse-json-body: JSON only, 64 KB at most; the wrong type, too much or broken JSON each get their own status.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { DomainError } from '../domain/errors.ts';

const LIMIT = '64kb';

export function jsonBody(): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: LIMIT,
    onError(error) {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new DomainError('payload_too_large', `request body larger than ${LIMIT}`);
      throw new DomainError('invalid_input', 'request body is not valid JSON');
    },
  });
  return async (ctx, next) => {
    if (!ctx.is('application/json')) throw new DomainError('unsupported_media_type', 'send the body as application/json');
    await parse(ctx, next);
  };
}
