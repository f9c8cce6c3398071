// The emailed unlock link of an account under attack: GET asks "unlock this device?" (no change on a
// GET: mail scanners open links), POST does it — the browser becomes one of the account's devices.
// POST: parse-body → check-csrf (bound to the token) → load-device → handler.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage } from '../shared/page.ts';

/** Longer than any token we make (see UnlockLinks): refused before any work. */
const MAX_TOKEN = 256;

export function unlockRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/unlock' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '4kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable form body');
  } });
  const tokenOf = (ctx: Context) => String((ctx.params as Record<string, string | undefined>).token ?? '').slice(0, MAX_TOKEN + 1);
  const csrf = deps.csrf.verify((ctx) => `unlock\0${tokenOf(ctx)}`);
  const invalid = (ctx: Context, status: number) => renderPage(ctx, deps, 'unlock/invalid', {}, status);

  router.get('/:token', async (ctx) => {
    const token = tokenOf(ctx);
    if (!deps.signIns.unlockLinkValid(token)) return invalid(ctx, 404);
    await renderPage(ctx, deps, 'unlock/confirm', { action: `/unlock/${token}`, csrfToken: deps.csrf.tokenFor(`unlock\0${token}`) });
  });

  router.post('/:token', form, csrf, deps.deviceCookie.middleware(), async (ctx) => {
    const unlocked = await deps.signIns.unlock(tokenOf(ctx), String(ctx.state.deviceHash));
    if (!unlocked) return invalid(ctx, 400);
    await renderPage(ctx, deps, 'unlock/done', {});
  });
  return router;
}
