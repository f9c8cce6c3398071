// Serves /branding/*: the operator's logo and colour stylesheet, and partner logos fetched by us. Images get
// a CSP of their own (no script, sandboxed) so an SVG opened directly cannot run anything in our origin.
import type { Context, Middleware } from 'koa';
import { currentBranding, themeStylesheet } from './page-brand.ts';
import { type LogoClient, PARTNER_LOGO_PATH, type PartnerLogos } from './partner-logos.ts';

/** For an image opened on its own: nothing may load or run, and it may not be framed. */
export const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox";

export const BRANDING_PATHS = /^\/branding\//i;

function image(ctx: Context, body: Buffer, type: string, versioned: boolean): void {
  ctx.set('Content-Security-Policy', IMAGE_CSP);
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  // The URL carries a hash of the bytes: a versioned copy never changes and may be kept a long time.
  ctx.set('Cache-Control', versioned ? 'public, max-age=604800, immutable' : 'public, max-age=3600');
  ctx.type = type;
  ctx.body = body;
}

export function brandingAssets(logos: PartnerLogos, findClient: (clientId: string) => Promise<LogoClient | undefined>): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const versioned = typeof ctx.query.v === 'string';
    const branding = currentBranding();
    if (ctx.path === '/branding/logo' && branding.logo) return image(ctx, branding.logo.body, branding.logo.type, versioned);
    if (ctx.path === '/branding/theme.css') {
      const css = themeStylesheet(branding);
      if (!css) return next();
      ctx.set('Cache-Control', versioned ? 'public, max-age=604800, immutable' : 'public, max-age=3600');
      ctx.type = 'text/css; charset=utf-8';
      ctx.body = css;
      return;
    }
    const partner = PARTNER_LOGO_PATH.exec(ctx.path);
    if (partner) {
      let clientId: string;
      try {
        clientId = decodeURIComponent(partner[1] ?? '');
      } catch {
        return next();
      }
      const client = clientId ? await findClient(clientId) : undefined;
      const logo = client ? await logos.imageFor(client) : null;
      if (logo) return image(ctx, logo.body, logo.type, versioned);
    }
    return next();
  };
}
