// The "too many attempts" page of the hosted flows: 429 with Retry-After, in plain words, naming what to do.
import type { Context } from 'koa';
import type { InteractionDeps } from './deps.ts';
import { renderPage } from './page.ts';

export async function renderBlockedPage(ctx: Context, deps: InteractionDeps, retryAfterSeconds: number, reasonId: string): Promise<void> {
  const wait = Math.max(1, Math.ceil(retryAfterSeconds));
  const uid = String(ctx.params.uid ?? '');
  const links = uid ? { backUrl: `/interaction/${uid}`, forgotUrl: `/interaction/${uid}/forgot` } : {};
  await renderPage(ctx, deps, 'errors/blocked', { retryAfterSeconds: wait, reasonId, ...links }, 429);
  ctx.set('Retry-After', String(wait));
}
