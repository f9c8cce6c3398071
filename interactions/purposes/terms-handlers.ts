// The terms prompt: a member who has not accepted the current terms version (TERMS_VERSION) reads what changed
// and accepts to continue; declining ends the sign-in (the session goes) and says so plainly, and the client
// gets access_denied when the member goes back to it.
import type { Context } from 'koa';
import { TERMS_PURPOSE } from '../../config/consent-purposes.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { clientName, pageLanguage, renderPage, seeOther, signedInAccountOf } from '../shared/page.ts';
import { clientIdOf, consentChannel } from './channel.ts';

export function termsHandlers(deps: InteractionDeps) {
  async function finish(ctx: Context): Promise<void> {
    const at = Math.floor(Date.now() / 1000);
    seeOther(ctx, await deps.provider.interactionResult(ctx.req, ctx.res, { terms: { at } }, { mergeWithLastSubmission: true }));
  }

  return {
    async show(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const accountId = signedInAccountOf(details);
      if (!accountId || !(await deps.purposeConsents.termsDue(accountId))) return finish(ctx);
      const lang = await pageLanguage(ctx, deps);
      const changes = deps.purposeConsents.termsChanges();
      await renderPage(ctx, deps, 'purposes/terms', {
        acceptAction: `/interaction/${details.uid}/terms/accept`,
        declineAction: `/interaction/${details.uid}/terms/decline`,
        termsUrl: deps.purposeConsents.terms.url ?? null,
        version: deps.purposeConsents.terms.version,
        changes: changes ? (changes[lang] ?? changes.en ?? null) : null,
      });
    },

    async accept(ctx: Context) {
      const accountId = signedInAccountOf(ctx.state.interaction as InteractionDetails);
      const version = deps.purposeConsents.terms.version;
      if (accountId && version !== undefined && (await deps.purposeConsents.termsDue(accountId))) {
        await deps.purposeConsents.record(accountId, [{ purpose: TERMS_PURPOSE, version, granted: true }], { channel: consentChannel(ctx), clientId: clientIdOf(ctx), method: 'prompt' });
      }
      await finish(ctx);
    },

    /**
     * Not signed in after all: the client's answer is access_denied, and the session this sign-in made ends. The
     * interaction forgets that session first (else resuming it would find the session gone and fail), then the page
     * says so plainly and its link takes the member back to the client with that answer.
     */
    async decline(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const accountId = signedInAccountOf(details);
      const sessionId = (details.session as { cookie?: unknown } | undefined)?.cookie;
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the member declined the terms' }, { mergeWithLastSubmission: false });
      const interaction = await deps.provider.Interaction.find(details.uid);
      if (interaction) {
        delete (interaction as { session?: unknown }).session;
        await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
      }
      if (accountId && typeof sessionId === 'string') await deps.memberSessions.endById(accountId, sessionId);
      await renderPage(ctx, deps, 'purposes/terms-declined', { returnTo, clientName: clientName(ctx) });
    },
  };
}
