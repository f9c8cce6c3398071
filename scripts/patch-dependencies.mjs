// npm postinstall: applies the project's source patches to installed dependencies, each an exact text swap with its reason.
// Plain Node (no TypeScript, no dependencies): it runs on whatever `node` npm finds while installing.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * oidc-provider gives every request to its routes an `oidc` getter defined on the Koa context with
 * Object.defineProperty and a fresh closure. V8 allocates the property's AccessorPair in the old generation,
 * so from the first request on, every request leaves an old-space object pointing at a young closure that
 * holds its context: young-generation collections treat that pointer as a root, and the request's whole object
 * graph (context, request, response, headers, token entities) survives them and is promoted, to die only at
 * the next full collection. Measured with --trace-gc-nvp under `npm run bench:memory`: 12-15% of everything a
 * token request allocates was promoted (about 8 KB a request, 20 MB/s at full throughput), which grew the old
 * space to 180 MB of garbage between full collections (peak RSS 330-355 MB); with the patch 0.04%.
 * The replacement defines the same non-writable, non-enumerable property with a value instead of a getter:
 * the context is built eagerly, which every route did anyway (its error handler reads ctx.oidc).
 */
export const PATCHES = [
  {
    file: 'node_modules/oidc-provider/lib/helpers/initialize_app.js',
    before: `    let oidcCtx;
    Object.defineProperty(ctx, 'oidc', {
      get: () => {
        oidcCtx ||= new this.OIDCContext(ctx);
        return oidcCtx;
      },
    });
    return als.run(ctx, () => next());`,
    after: `    // Patched by scripts/patch-dependencies.mjs: a value, not a getter closure (see there why).
    Object.defineProperty(ctx, 'oidc', { value: new this.OIDCContext(ctx) });
    return als.run(ctx, () => next());`,
  },
];

/** Applies every patch not applied yet; false when a file no longer holds the text its patch replaces. */
export function applyPatches() {
  let ok = true;
  for (const { file, before, after } of PATCHES) {
    const path = join(ROOT, file);
    let source;
    try {
      source = readFileSync(path, 'utf8');
    } catch {
      // Not installed (an install that omits the package): nothing to patch.
      continue;
    }
    if (source.includes(after)) continue;
    if (!source.includes(before)) {
      // A new version changed the code: someone must look, so the install fails rather than silently going without.
      console.error(`patch-dependencies: ${file} no longer contains the text this patch replaces; review the patch in scripts/patch-dependencies.mjs`);
      ok = false;
      continue;
    }
    writeFileSync(path, source.replace(before, after));
    console.log(`patch-dependencies: patched ${file}`);
  }
  return ok;
}

// Run as a script (npm postinstall); imported (bench/lib/oidc-provider-as-published.mjs) it only lends its list.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url) && !applyPatches()) process.exit(1);
