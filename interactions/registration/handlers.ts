// Sign-up with email and password, then on to email verification.
import type { Context } from 'koa';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';
import { registrationForm } from './input.ts';

export function registrationHandlers(deps: InteractionDeps) {
  const page = (ctx: Context, uid: string, email: string, errors: Record<string, string>, status = 200) =>
    renderPage(ctx, deps, 'registration/register', {
      action: `/interaction/${uid}/register`,
      signInUrl: `/interaction/${uid}`,
      email,
      errors,
      clientName: clientName(ctx),
    }, status);

  return {
    async show(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      await page(ctx, details.uid, '', {});
    },

    async submit(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const form = parseForm(registrationForm, ctx.request.body);
      if (!form) {
        await page(ctx, details.uid, '', { form: 'register.error.generic' }, 400);
        return;
      }
      const result = await deps.accounts.register(form.email, form.password);
      if (!result.ok) {
        await page(ctx, details.uid, form.email, result.errors, 400);
        return;
      }
      deps.flow.write(ctx, details.uid, {
        accountId: result.accountId,
        email: result.email,
        info: result.retryAfterSeconds > 0 ? 'code.too_soon' : 'verify.sent',
      });
      seeOther(ctx, `/interaction/${details.uid}/verify`);
    },
  };
}
