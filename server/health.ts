// Liveness (/healthz: the process answers) and readiness (/readyz: the store answers and accepts a write).
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Storage } from './domain/storage.ts';

/** A store that takes longer than this to answer the probe counts as unavailable. */
const PROBE_TIMEOUT_MS = 2_000;
/**
 * How long a write probe's outcome answers readiness: probes from several balancers every second or so then cost
 * the store one tiny write per instance every few seconds, and a store that can write again is seen within as long.
 */
const WRITE_PROBE_TTL_MS = 2_000;

function withTimeout(work: Promise<void>): Promise<void> {
  return Promise.race([work, new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS).unref())]);
}

/**
 * Whether the store accepts writes, probed at most once per WRITE_PROBE_TTL_MS (concurrent probes share one
 * write). A store that answers reads while refusing writes (disk full, read-only) must not look ready: every
 * sign-in and token would fail. Changes are logged once, so an operator sees why readiness turned.
 */
function writeProbe(storage: Storage, logger: Logger): () => Promise<boolean> {
  let checkedAt = 0;
  let writable = true;
  let pending: Promise<boolean> | undefined;
  const probe = async (): Promise<boolean> => {
    let ok = true;
    try {
      await withTimeout(storage.canWrite());
    } catch (error) {
      ok = false;
      if (writable) logger.error({ err: error, store: storage.kind }, 'store refuses writes: not ready');
    }
    if (ok && !writable) logger.warn({ store: storage.kind }, 'store accepts writes again: ready');
    writable = ok;
    checkedAt = Date.now();
    pending = undefined;
    return ok;
  };
  return () => {
    if (Date.now() - checkedAt < WRITE_PROBE_TTL_MS) return Promise.resolve(writable);
    return (pending ??= probe());
  };
}

export function healthRouter(storage: Storage, isShuttingDown: () => boolean, logger: Logger): Router {
  const router = new Router();
  const canWrite = writeProbe(storage, logger);
  // Liveness stays up while the store refuses writes: restarting the process does not free a full disk.
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (isShuttingDown()) {
      ctx.status = 503;
      ctx.body = { status: 'shutting_down' };
      return;
    }
    const ready = await withTimeout(storage.ping()).then(canWrite, () => false);
    if (ready) {
      ctx.body = { status: 'ok', store: storage.kind };
    } else {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: storage.kind };
    }
  });
  return router;
}
