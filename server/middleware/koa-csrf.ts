// CSRF defence for hosted-page POSTs: a token bound to the interaction (or, on the account pages, to the
// member's session), plus Origin / Sec-Fetch-Site checks.
import { createHmac } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { constantTimeEqual } from '../security/crypto.ts';
import { DomainError } from '../domain/errors.ts';

export class Csrf {
  private readonly key: Buffer;
  private readonly issuerOrigin: string;

  constructor(key: Buffer, issuerOrigin: string) {
    this.key = key;
    this.issuerOrigin = issuerOrigin;
  }

  /**
   * The interaction cookie is scoped to /interaction/<uid> and required to load the interaction, so a
   * token bound to the uid is a synchronizer token only this browser's interaction can present. The
   * account pages bind it to the id of the session cookie in the same way.
   */
  tokenFor(binding: string): string {
    return createHmac('sha256', this.key).update(`csrf\0${binding}`).digest('base64url');
  }

  /**
   * Rejects cross-site POSTs before any handler runs. Expects the parsed form in ctx.request.body;
   * `bindingOf` names what the token is bound to (the interaction uid unless told otherwise).
   */
  verify(bindingOf: (ctx: Context) => string = (ctx) => String(ctx.params?.uid ?? '')): Middleware {
    return async (ctx, next) => {
      if (ctx.method !== 'POST') return next();
      this.checkOrigin(ctx);
      const binding = bindingOf(ctx);
      const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
      const token = typeof body.csrf === 'string' ? body.csrf : '';
      if (!binding || !token || !constantTimeEqual(token, this.tokenFor(binding))) {
        throw new DomainError('forbidden', 'csrf token missing or invalid');
      }
      await next();
    };
  }

  private checkOrigin(ctx: Context): void {
    const site = ctx.get('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') throw new DomainError('forbidden', 'cross-site form post');
    const origin = ctx.get('origin');
    // Our pages use Referrer-Policy same-origin, so a genuine post carries our origin; "null" comes from
    // sandboxed frames and data: documents, which have no business posting our forms.
    if (origin && origin !== this.issuerOrigin) throw new DomainError('forbidden', 'cross-origin form post');
  }
}
