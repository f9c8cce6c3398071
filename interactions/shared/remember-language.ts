// Saving the member's language (the `locale` profile field): at sign-up from the page language, and at
// sign-in when the member picked a language on the page, so later pages, emails and texts follow it.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { languageOf } from '../../server/middleware/koa-language.ts';
import type { InteractionDeps } from './deps.ts';

/**
 * `sign_up` runs once the address is proven (never on the sign-up form itself: its answer is the same for
 * a taken address, so saving there would let anyone change a member's language). Never fails the flow.
 */
export async function rememberLanguage(ctx: Context, deps: InteractionDeps, accountId: string, moment: 'sign_up' | 'sign_in'): Promise<void> {
  try {
    const saved = await deps.profiles.locale(accountId);
    const picked = ctx.state.pickedLanguage as string | undefined;
    // The language of the page the member signed up on (ui_locales, their pick, Accept-Language, default).
    if (moment === 'sign_up' && !saved) await deps.profiles.setLocale(accountId, languageOf(ctx, { saved: null }));
    else if (moment === 'sign_in' && picked && picked !== saved) await deps.profiles.setLocale(accountId, picked);
  } catch (error) {
    (ctx.state.log as Logger | undefined)?.warn({ err: error, accountId }, 'language preference not saved');
  }
}
