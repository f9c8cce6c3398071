// Forgot password: email a code, then set a new password; every session of the account ends.
import type { Context } from 'koa';
import { isValidEmail, maskEmail, normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import { recordChange } from '../shared/record-change.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { forgotForm, resetForm } from './input.ts';
import { signInByMailbox } from '../shared/mailbox-sign-in.ts';

export function recoveryHandlers(deps: InteractionDeps) {
  const forgotPage = (ctx: Context, uid: string, email: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'recovery/forgot', { action: `/interaction/${uid}/forgot`, signInUrl: `/interaction/${uid}`, email, error }, status);

  const resetPage = (ctx: Context, uid: string, email: string, errors: Record<string, string>, info: string | null, status = 200) =>
    renderPage(ctx, deps, 'recovery/reset', {
      action: `/interaction/${uid}/reset`,
      resendAction: `/interaction/${uid}/reset/resend`,
      email: maskEmail(email),
      errors,
      info,
    }, status);

  function resetState(ctx: Context) {
    const details = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, details.uid);
    if (!flow.email) {
      seeOther(ctx, `/interaction/${details.uid}/forgot`);
      return undefined;
    }
    return { uid: details.uid, email: flow.email, info: flow.info ?? null };
  }

  return {
    async showForgot(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      await forgotPage(ctx, details.uid, deps.flow.read(ctx, details.uid).email ?? '', null);
    },

    async submitForgot(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const form = parseForm(forgotForm, ctx.request.body);
      const email = form ? normaliseEmail(form.email) : '';
      if (!isValidEmail(email)) {
        await forgotPage(ctx, details.uid, form?.email ?? '', 'email.invalid', 400);
        return;
      }
      // Same next page whether or not the account exists: the form must not reveal members.
      const { retryAfterSeconds } = await deps.accounts.startPasswordReset(email);
      deps.flow.write(ctx, details.uid, { email, info: retryAfterSeconds > 0 ? 'code.too_soon' : 'reset.sent' });
      seeOther(ctx, `/interaction/${details.uid}/reset`);
    },

    async showReset(ctx: Context) {
      const state = resetState(ctx);
      if (state) await resetPage(ctx, state.uid, state.email, {}, state.info);
    },

    async submitReset(ctx: Context) {
      const state = resetState(ctx);
      if (!state) return;
      const form = parseForm(resetForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) {
        await resetPage(ctx, state.uid, state.email, { code: 'code.format' }, null, 400);
        return;
      }
      const result = await deps.accounts.completePasswordReset(state.email, form.code, form.password);
      if (!result.ok) {
        await resetPage(ctx, state.uid, state.email, result.errors, null, 400);
        return;
      }
      await recordChange(deps, ctx, { type: 'password.changed', accountId: result.account.id, reason: 'reset' });
      // The code proved the mailbox: signed in as that (mailbox-password.ts), without typing the new
      // password again. The reset ended every earlier session; this one starts after it.
      await signInByMailbox(ctx, deps, result.account.id, 'password_reset');
    },

    async resendReset(ctx: Context) {
      const state = resetState(ctx);
      if (!state) return;
      const { retryAfterSeconds } = await deps.accounts.startPasswordReset(state.email);
      deps.flow.write(ctx, state.uid, { email: state.email, info: retryAfterSeconds > 0 ? 'code.too_soon' : 'reset.resent' });
      seeOther(ctx, `/interaction/${state.uid}/reset`);
    },
  };
}
