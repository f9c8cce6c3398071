// The language switcher of interaction pages once the member is signed in (second factor, profile, consent):
// a POST (CSRF-checked) that saves the pick as the member's `locale`, since the saved locale outranks the
// cookie; before sign-in the switcher is plain ?lang= links that only set the cookie.
import type { Context } from 'koa';
import { z } from 'zod';
import { matchLanguage } from '../../server/i18n/negotiate.ts';
import { setLanguageCookie } from '../../server/middleware/koa-language.ts';
import type { InteractionDeps, InteractionDetails } from './deps.ts';
import { seeOther, signedInAccountOf } from './page.ts';

const languageForm = z.object({ lang: z.string().max(35) });

export function interactionLanguagePick(deps: InteractionDeps) {
  return async (ctx: Context) => {
    const interaction = ctx.state.interaction as InteractionDetails;
    const form = languageForm.safeParse(ctx.request.body);
    // An unknown tag changes nothing: the page simply stays in its language.
    const tag = form.success ? matchLanguage(form.data.lang) : undefined;
    const accountId = signedInAccountOf(interaction);
    if (tag) {
      if (accountId) await deps.profiles.setLocale(accountId, tag);
      setLanguageCookie(ctx, tag);
    }
    seeOther(ctx, `/interaction/${interaction.uid}`);
  };
}
