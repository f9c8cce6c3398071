// Absolute URLs come from ISSUER only: the Host and X-Forwarded-Host headers are the client's to forge.
import type Koa from 'koa';

/**
 * oidc-provider builds every absolute URL it hands out (discovery, the device verification_uri, registration
 * and end-session URLs, redirects to the interaction pages) from ctx.href, which Koa derives from the Host
 * header, or X-Forwarded-Host and X-Forwarded-Proto when the app trusts a proxy. A forged header would then
 * put an attacker's origin into discovery (poisoning a cache in front of us) or a device code's link. So
 * the app's request prototype answers host and protocol from the issuer, once for every request and
 * without per-request work; ctx.ip still reads X-Forwarded-For under TRUST_PROXY.
 */
export function pinOriginToIssuer(app: Koa, issuer: string): void {
  const url = new URL(issuer);
  const host = url.host;
  const protocol = url.protocol.slice(0, -1);
  Object.defineProperties(app.request, {
    host: { get: () => host, configurable: true },
    protocol: { get: () => protocol, configurable: true },
  });
}
