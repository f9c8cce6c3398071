// Discovery lists only the response types a relying party can register (code).
import type { KoaContextWithOIDC } from 'oidc-provider';

type Next = () => Promise<unknown>;

/**
 * The authorization endpoint also knows `none`, but only for the built-in account console client
 * (config/account-console-client.ts): no relying party can register it (the admin API accepts
 * response_types ["code"] only), so advertising it would promise what no client can use. The provider's
 * responseTypes config cannot drop it, since oidc-provider checks each request against that list too.
 */
export const ADVERTISED_RESPONSE_TYPES = ['code'] as const;

/** Discovery answers GET and HEAD only: any other request (every token request) passes straight through. */
export function discoveryResponseTypes(ctx: KoaContextWithOIDC, next: Next): Promise<unknown> {
  return ctx.method === 'GET' || ctx.method === 'HEAD' ? filterDiscovery(ctx, next) : next();
}

async function filterDiscovery(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  await next();
  const body = ctx.body as { response_types_supported?: unknown } | undefined;
  if (ctx.oidc?.route === 'discovery' && body && Array.isArray(body.response_types_supported)) {
    body.response_types_supported = body.response_types_supported.filter((type) => (ADVERTISED_RESPONSE_TYPES as readonly unknown[]).includes(type));
  }
}
