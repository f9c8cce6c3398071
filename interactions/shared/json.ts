// JSON answers for the few endpoints the hosted pages' scripts call (passkey ceremonies).
import type { Context } from 'koa';
import { translate, type MessageId } from '../../server/i18n/messages.ts';
import { languageOf } from '../../server/middleware/koa-language.ts';

export function jsonOk(ctx: Context, body: unknown): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

/** An error the page shows as is: the message id plus its text in the member's language. */
export function jsonError(ctx: Context, messageId: MessageId, status = 400): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: messageId, message: translate(languageOf(ctx), messageId) };
}

/** The WebAuthn credential JSON in the body: its shape only, the library checks the rest. */
export function credentialFrom<T>(body: unknown): T | undefined {
  const response = (body as { response?: unknown } | undefined)?.response;
  if (!response || typeof response !== 'object') return undefined;
  const { id, rawId, type } = response as Record<string, unknown>;
  return typeof id === 'string' && typeof rawId === 'string' && type === 'public-key' ? (response as T) : undefined;
}
