// limit-*: one rate-limit rule in front of a route. Over the limit, the request is answered 429 with
// Retry-After by the one error handler (a calm page on hosted pages, JSON on APIs); nothing else runs.
import type { Context, Middleware } from 'koa';
import { DomainError } from '../../domain/errors.ts';
import type { LimitRule, RateLimitStore } from './rate-limiter.ts';

/** `keyOf` names who is counted (an address, an email, an account); undefined skips the rule. */
export function limitBy(store: RateLimitStore, rule: LimitRule, keyOf: (ctx: Context) => string | undefined, messageId = 'error.too_many'): Middleware {
  const limiter = store.limiter(rule);
  return async (ctx, next) => {
    const key = keyOf(ctx);
    if (key !== undefined) {
      const result = await limiter.consume(key);
      if (!result.allowed) {
        throw new DomainError('rate_limited', `rate limit ${rule.name} reached`, { details: { retryAfterSeconds: result.retryAfterSeconds, messageId } });
      }
    }
    await next();
  };
}

/** A form field as a counting key: trimmed, lower-cased, digits-only for phone numbers; undefined when absent. */
export function formKey(field: string, digitsOnly = false): (ctx: Context) => string | undefined {
  return (ctx) => {
    const value = (ctx.request.body as Record<string, unknown> | undefined)?.[field];
    if (typeof value !== 'string') return undefined;
    const key = digitsOnly ? value.replace(/\D/g, '') : value.trim().toLowerCase();
    return key ? key.slice(0, 320) : undefined;
  };
}
