// The Idempotency-Key request header (IETF draft httpapi-idempotency-key-header): required on every
// points-moving POST, so a retried request never moves points twice.
import type { Context } from 'koa';
import { DomainError } from '../domain/errors.ts';

/** Visible ASCII, 1-255 characters (a UUID is the usual choice). */
const KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKey(ctx: Context): string {
  const key = ctx.get('idempotency-key');
  if (!key) throw new DomainError('invalid_input', 'the Idempotency-Key header is required');
  if (!KEY.test(key)) throw new DomainError('invalid_input', 'the Idempotency-Key header must be 1 to 255 visible ASCII characters');
  return key;
}

/** Marks a response as the stored answer to an earlier request with the same key. */
export function markReplayed(ctx: Context, replayed: boolean): void {
  if (replayed) ctx.set('Idempotent-Replayed', 'true');
}
