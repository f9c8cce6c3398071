// The phone field of every form that takes a mobile number (SMS sign-in, adding a phone): the number as
// typed and the country it is read in, both posted by the form, so it works without JavaScript.
import type { Context } from 'koa';
import { z } from 'zod';
import type { PhoneCountryChoice } from '../../server/domain/accounts/phone-countries.ts';
import type { InteractionDeps } from './deps.ts';
import { field } from './input.ts';
import { pageLanguage } from './page.ts';

/** `country` is optional: a resend form posts the stored E.164 number alone, which needs none. */
export const phoneForm = z.object({ phone: field(64), country: field(8).optional() });

/** The locals views/partials/phone-field.ejs reads: the country list with the posted (or preselected) one. */
export async function phoneFieldLocals(ctx: Context, deps: InteractionDeps, posted?: string): Promise<{ phoneCountry: PhoneCountryChoice }> {
  const lang = await pageLanguage(ctx, deps);
  return { phoneCountry: deps.phones.countryChoice(lang, ctx.state.clientIp as string | undefined, posted?.toUpperCase()) };
}

/** The posted country, upper case, when the form sent one. */
export function postedCountry(ctx: Context): string | undefined {
  const body = ctx.request.body as { country?: unknown } | undefined;
  return typeof body?.country === 'string' && body.country.length <= 8 ? body.country.toUpperCase() : undefined;
}
