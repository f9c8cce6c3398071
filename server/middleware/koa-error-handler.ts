// The one error handler for our routes: JSON for APIs, a generic page for hosted pages; nothing leaks.
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors.ts';
import { languageOf, switchBase } from './koa-language.ts';
import { renderView } from '../views/render.ts';
import { wayBack, type WayBackClient } from '../branding/way-back.ts';

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  error?: string;
  message?: string;
  name?: string;
}

const PAGE_MESSAGES: Record<number, string> = {
  400: 'error.bad_request',
  403: 'error.forbidden',
  404: 'error.not_found',
  429: 'error.too_many',
};

export function messageIdFor(status: number, error?: HttpishError): string {
  // oidc-provider's SessionNotFound: the interaction cookie or record is gone (expired, replayed, other browser).
  if (error?.name === 'SessionNotFound' || error?.error === 'invalid_request' && /session|interaction/i.test(error.message ?? '')) {
    return 'error.session_expired';
  }
  return PAGE_MESSAGES[status] ?? 'error.generic';
}

/**
 * The client of the request, when one is known: oidc-provider's (protocol routes) or the interaction's
 * (our pages load it as ctx.state.client), so the error page can offer the way back to its site.
 */
export function requestClient(ctx: Context): WayBackClient | undefined {
  const oidc = (ctx as Context & { oidc?: { client?: WayBackClient } }).oidc;
  return oidc?.client ?? (ctx.state.client as WayBackClient | undefined);
}

export async function renderErrorPage(ctx: Context, status: number, messageId: string): Promise<void> {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = await renderView('errors/error', {
    lang: languageOf(ctx),
    switchBase: switchBase(ctx),
    status,
    messageId,
    wayBack: wayBack(requestClient(ctx)),
    requestId: ctx.state.requestId as string | undefined,
  });
}

/** The calm "too many attempts" page with when to try again (views/errors/blocked.ejs). */
async function renderBlocked(ctx: Context, retryAfterSeconds: number, reasonId: string): Promise<void> {
  ctx.status = 429;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = await renderView('errors/blocked', {
    lang: languageOf(ctx),
    switchBase: switchBase(ctx),
    retryAfterSeconds,
    reasonId,
    wayBack: wayBack(requestClient(ctx)),
    requestId: ctx.state.requestId as string | undefined,
  });
}

export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = caught as HttpishError;
      const status = caught instanceof DomainError ? caught.status : (error.status ?? error.statusCode ?? 500);
      const log = (ctx.state.log as Logger | undefined) ?? logger;
      if (status >= 500) log.error({ err: caught }, 'unhandled error');
      else log.debug({ err: caught }, 'request error');

      // Every limited answer says when to come back (RFC 9110 Retry-After), on APIs and pages alike.
      const retryAfter = caught instanceof DomainError ? Number(caught.details?.retryAfterSeconds) : NaN;
      if (status === 429 && Number.isFinite(retryAfter) && retryAfter > 0) ctx.set('Retry-After', String(Math.ceil(retryAfter)));
      const exposed = status < 500 && (caught instanceof DomainError ? caught.expose : error.expose !== false);
      if (ctx.path.startsWith('/admin') || ctx.path.startsWith('/api/') || ctx.path.startsWith('/partner-api/') || !ctx.accepts('html')) {
        ctx.status = status;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = {
          error: caught instanceof DomainError ? caught.code : (error.error ?? (status >= 500 ? 'server_error' : 'invalid_request')),
          error_description: exposed ? (error.message ?? 'request failed') : 'internal error',
          ...(caught instanceof DomainError && caught.details ? { details: caught.details } : {}),
        };
        return;
      }
      if (status === 429 && Number.isFinite(retryAfter)) {
        const reasonId = (caught as DomainError).details?.messageId;
        await renderBlocked(ctx, Math.ceil(retryAfter), typeof reasonId === 'string' ? reasonId : 'error.too_many');
        return;
      }
      await renderErrorPage(ctx, status, messageIdFor(status, error));
    }
  };
}
