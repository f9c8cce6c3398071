// The erasure prompt: right after signing in, a member whose account is scheduled for deletion is told the
// date and chooses "Keep my account" (cancels it) or "Continue" (the deletion stays scheduled).
import type { Context } from 'koa';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { renderPage, seeOther, signedInAccountOf } from '../shared/page.ts';

export function erasureHandlers(deps: InteractionDeps) {
  async function finish(ctx: Context, kept: boolean): Promise<void> {
    const at = Math.floor(Date.now() / 1000);
    seeOther(ctx, await deps.provider.interactionResult(ctx.req, ctx.res, { erasure: { kept, at } }, { mergeWithLastSubmission: true }));
  }

  return {
    async show(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const accountId = signedInAccountOf(details);
      const request = accountId ? await deps.erasure.scheduled(accountId) : undefined;
      // Cancelled meanwhile (in another tab): nothing to ask.
      if (!request) return finish(ctx, true);
      await renderPage(ctx, deps, 'erasure/scheduled', {
        keepAction: `/interaction/${details.uid}/erasure/keep`,
        continueAction: `/interaction/${details.uid}/erasure/continue`,
        eraseAt: request.eraseAt,
      });
    },

    async keep(ctx: Context) {
      const accountId = signedInAccountOf(ctx.state.interaction as InteractionDetails);
      if (accountId) await deps.erasure.cancel(accountId);
      await finish(ctx, true);
    },

    async proceed(ctx: Context) {
      await finish(ctx, false);
    },
  };
}
