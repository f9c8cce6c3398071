// Revocation answers 200 with an empty JSON object instead of an empty text/plain body.
import type { KoaContextWithOIDC } from 'oidc-provider';

type Next = () => Promise<unknown>;

/**
 * RFC 7009 §2.2 asks only for a 200 (the body is ignored), and oidc-provider sends an empty body, which
 * Koa labels text/plain. Browser clients refuse any Content-Type other than JSON: oidc-client-ts's
 * revokeTokens() throws "Invalid response Content-Type: text/plain". `{}` as application/json is both
 * RFC 7009 compliant and accepted by every client we test with.
 */
export async function revocationJson(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  await next();
  if (ctx.oidc?.route === 'revocation' && ctx.status === 200 && (ctx.body === '' || ctx.body == null)) {
    ctx.body = {};
  }
}
