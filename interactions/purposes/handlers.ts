// The purposes prompt: a client that lists required_purposes gets the member's answer to each one; the member
// is asked those not answered in their current version, and may say no (the client receives the answer either way).
import type { Context } from 'koa';
import { z } from 'zod';
import { textIn, type ConsentPurpose } from '../../config/consent-purposes.ts';
import { requiredPurposes } from '../../config/interaction-policy.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { clientName, pageLanguage, renderPage, seeOther, signedInAccountOf } from '../shared/page.ts';
import { clientIdOf, consentChannel } from './channel.ts';

/** `answer-<id>` = yes | no and `version-<id>` = the version the page showed, per purpose asked. */
const answersForm = z.record(z.string().max(100), z.unknown());

export function purposesHandlers(deps: InteractionDeps) {
  async function asked(ctx: Context): Promise<{ accountId: string | undefined; purposes: ConsentPurpose[] }> {
    const details = ctx.state.interaction as InteractionDetails;
    const accountId = signedInAccountOf(details);
    const wanted = requiredPurposes(ctx.state.client as { metadata(): unknown } | undefined);
    return { accountId, purposes: accountId ? await deps.purposeConsents.unanswered(accountId, wanted) : [] };
  }

  async function finish(ctx: Context): Promise<void> {
    const at = Math.floor(Date.now() / 1000);
    seeOther(ctx, await deps.provider.interactionResult(ctx.req, ctx.res, { purposes: { at } }, { mergeWithLastSubmission: true }));
  }

  async function page(ctx: Context, purposes: ConsentPurpose[], error: string | null, status = 200): Promise<void> {
    const details = ctx.state.interaction as InteractionDetails;
    const lang = await pageLanguage(ctx, deps);
    await renderPage(ctx, deps, 'purposes/ask', {
      action: `/interaction/${details.uid}/purposes`,
      clientName: clientName(ctx),
      error,
      purposes: purposes.map((p) => ({ id: p.id, version: p.version, title: textIn(p.title, lang), text: textIn(p.text, lang) })),
    }, status);
  }

  return {
    async show(ctx: Context) {
      const { purposes } = await asked(ctx);
      // Answered meanwhile (another tab): nothing to ask.
      if (purposes.length === 0) return finish(ctx);
      await page(ctx, purposes, null);
    },

    async submit(ctx: Context) {
      const { accountId, purposes } = await asked(ctx);
      if (!accountId || purposes.length === 0) return finish(ctx);
      const form = answersForm.safeParse(ctx.request.body ?? {});
      const fields = form.success ? form.data : {};
      const decisions = [];
      for (const purpose of purposes) {
        const answer = fields[`answer-${purpose.id}`];
        if (answer !== 'yes' && answer !== 'no') return page(ctx, purposes, 'consents.error.answer_each', 400);
        // The text changed while the page was open: the member answered another text, so it is asked again.
        if (Number(fields[`version-${purpose.id}`]) !== purpose.version) return page(ctx, purposes, 'consents.error.changed', 400);
        decisions.push({ purpose: purpose.id, version: purpose.version, granted: answer === 'yes' });
      }
      await deps.purposeConsents.record(accountId, decisions, { channel: consentChannel(ctx), clientId: clientIdOf(ctx), method: 'prompt' });
      await finish(ctx);
    },
  };
}
