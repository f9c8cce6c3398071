// Security headers on every response. CSP is set before the provider runs so oidc-provider can add
// the hash of its own form_post script to script-src.
import type { Middleware } from 'koa';

// No form-action: browsers apply it to the redirect chain after a form post, which would block the
// final redirect to a client's redirect_uri.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

// same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own form posts,
// which would blind the CSRF origin check; cross-origin requests still get no referrer.
const HEADERS: Array<[string, string]> = [
  ['Content-Security-Policy', CSP],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
];

export function securityHeaders(production: boolean): Middleware {
  const headers: Array<[string, string]> = production
    ? [...HEADERS, ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']]
    : HEADERS;
  return (ctx, next) => {
    // Straight on the Node response (what ctx.set does after its type checks): this runs on every request.
    for (const [name, value] of headers) ctx.res.setHeader(name, value);
    return next();
  };
}
