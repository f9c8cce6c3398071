// Gives back the memory V8 kept from boot: one memory-reducing collection before the server listens, so an idle
// instance does not keep a young generation sized by the burst of long-lived allocations that boot is.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Boot (a thousand modules, the geo database, the catalogues) survives scavenges at a high rate, which grows V8's
 * young generation to its maximum (semi-spaces of 64 MB with Node 24 defaults) and leaves it there while the server idles:
 * measured, 40 MB of the idle RSS (164 -> 124 MB). One last-resort collection shrinks it; under load V8 grows it again
 * as it sees fit, up to the 16 MB semi-spaces `npm start` sets (no measurable CPU per token against 32 MB in same-run
 * A/Bs of `npm run bench`, since token requests no longer get promoted: scripts/patch-dependencies.mjs). The pause is one full collection of the boot heap (tens of ms),
 * before the first request. `gc` is taken from a fresh vm context (enabling --expose-gc at run time does not add it to
 * the main realm) and the flag is turned off again, so no later context gets it.
 */
export function trimHeapAfterBoot(): void {
  setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('gc') as Gc;
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
