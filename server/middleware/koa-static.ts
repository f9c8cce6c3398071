// Serves the few static assets under /static from memory (an allowlist read at boot: no path traversal).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Middleware } from 'koa';

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.ico': 'image/x-icon' };

/** `extra` maps more served names to files elsewhere (a browser library inside node_modules). */
export function staticAssets(dir: string, prefix = '/static/', extra: Record<string, string> = {}): Middleware {
  const files = new Map<string, { body: Buffer; type: string; etag: string }>();
  const sources = [
    ...readdirSync(dir).map((name) => [name, join(dir, name)] as const),
    ...Object.entries(extra),
  ];
  for (const [name, path] of sources) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(path);
    files.set(prefix + name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', file.etag);
    if (ctx.get('if-none-match') === file.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
