// The language switcher of the account pages: a signed-in member's pick is saved as their `locale`
// (used for their pages, emails and texts, and released as the locale claim) and kept in this browser.
import type { Context } from 'koa';
import { z } from 'zod';
import { matchLanguage } from '../../server/i18n/negotiate.ts';
import { setLanguageCookie } from '../../server/middleware/koa-language.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';

const languageForm = z.object({ lang: z.string().max(35) });

export function languageSettings(deps: InteractionDeps) {
  return async (ctx: Context) => {
    const form = languageForm.safeParse(ctx.request.body);
    // An unknown tag changes nothing: the page simply stays in its language.
    const tag = form.success ? matchLanguage(form.data.lang) : undefined;
    if (tag) {
      await deps.profiles.setLocale(memberOf(ctx).account.id, tag);
      setLanguageCookie(ctx, tag);
    }
    seeOther(ctx, '/account/security');
  };
}
