// Absolute URLs come from ISSUER only: the Host and X-Forwarded-Host headers are the client's to forge.
import type Koa from 'koa';

/**
 * oidc-provider builds every absolute URL it hands out (discovery, the device verification_uri, registration
 * and end-session URLs, redirects to the interaction pages) from ctx.href, which Koa derives from the Host
 * header, or X-Forwarded-Host and X-Forwarded-Proto when the app trusts a proxy. A forged header would then
 * put an attacker's origin into discovery (poisoning a cache in front of us) or a device code's link. So
 * the app's request prototype answers host and protocol from the issuer, once for every request and
 * without per-request work; ctx.ip still reads X-Forwarded-For under TRUST_PROXY. Koa's href and URL also
 * return an absolute-form request target (`GET http://evil.example/... HTTP/1.1`) as sent, authority and
 * all, so they keep only its path and query on the issuer's origin.
 */
export function pinOriginToIssuer(app: Koa, issuer: string): void {
  const url = new URL(issuer);
  const host = url.host;
  const protocol = url.protocol.slice(0, -1);
  const origin = `${protocol}://${host}`;
  /** The request target's path and query: an absolute-form target loses its scheme and authority. */
  const pathOf = (target: string | undefined): string => {
    const value = target ?? '';
    if (!/^https?:\/\//i.test(value)) return value;
    const parsed = URL.parse(value);
    return parsed ? `${parsed.pathname}${parsed.search}` : '/';
  };
  Object.defineProperties(app.request, {
    host: { get: () => host, configurable: true },
    protocol: { get: () => protocol, configurable: true },
    href: { get(this: { originalUrl?: string }) { return `${origin}${pathOf(this.originalUrl)}`; }, configurable: true },
    URL: { get(this: { originalUrl?: string }) { return new URL(`${origin}${pathOf(this.originalUrl)}`); }, configurable: true },
  });
}
