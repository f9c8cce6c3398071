// Preloaded into the bare oidc-provider of a benchmark (node --import): loads the dependencies as published, undoing
// scripts/patch-dependencies.mjs in memory, so the baseline is the library as everyone gets it, not our patched copy.
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PATCHES } from '../../scripts/patch-dependencies.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const byPath = new Map(PATCHES.map((patch) => [root + patch.file, patch]));

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    const patch = url.startsWith('file:') ? byPath.get(fileURLToPath(url)) : undefined;
    if (!patch) return loaded;
    const source = String(loaded.source);
    return { ...loaded, source: source.includes(patch.after) ? source.replace(patch.after, patch.before) : source };
  },
});
