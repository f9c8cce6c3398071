// Liveness (/healthz: the process answers) and readiness (/readyz: the store answers too).
import Router from '@koa/router';
import type { Storage } from './domain/storage.ts';

export function healthRouter(storage: Storage, isShuttingDown: () => boolean): Router {
  const router = new Router();
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
    try {
      await Promise.race([storage.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
      ctx.body = { status: 'ok', store: storage.kind };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: storage.kind };
    }
  });
  return router;
}
