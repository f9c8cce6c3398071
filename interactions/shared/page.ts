// Renders a hosted page with the locals every page needs (language, CSRF token, request id).
import type { Context } from 'koa';
import { negotiateLanguage } from '../../server/i18n/negotiate.ts';
import { renderView } from '../../server/views/render.ts';
import type { InteractionDeps } from './deps.ts';

export async function renderPage(ctx: Context, deps: InteractionDeps, view: string, locals: Record<string, unknown>, status = 200): Promise<void> {
  const uid = String(ctx.params.uid ?? '');
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = await renderView(view, {
    lang: negotiateLanguage(ctx.get('accept-language')),
    csrfToken: uid ? deps.csrf.tokenFor(uid) : '',
    requestId: ctx.state.requestId as string | undefined,
    ...locals,
  });
}

/** After a successful POST, go to the next page with 303 so a reload does not repeat the POST. */
export function seeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

export function clientName(ctx: Context): string {
  const details = ctx.state.interaction as { params: { client_id?: unknown } };
  const client = ctx.state.client as { clientName?: string; clientId: string } | undefined;
  return client?.clientName ?? String(details.params.client_id ?? '');
}
