// Second factor by a code to the verified email: sent on POST only, checked under the usual code rules.
import type { Context } from 'koa';
import { maskEmail } from '../../server/domain/accounts/email-address.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { clientName, renderPage } from '../shared/page.ts';
import { verificationForm } from '../verification/input.ts';
import { backToPrompt, finishStepUp, type StepUp, updateFlow } from './step-up-context.ts';

export function emailCodeStep(deps: InteractionDeps) {
  async function page(ctx: Context, step: StepUp, state: { error?: string | null; sent?: boolean }, status = 200) {
    const unavailable = !deps.emailFactor.available(step.account);
    await renderPage(ctx, deps, 'mfa/email-code', {
      action: `/interaction/${step.uid}/mfa`,
      sendAction: `/interaction/${step.uid}/mfa/send`,
      methodAction: `/interaction/${step.uid}/mfa/method`,
      abortAction: `/interaction/${step.uid}/abort`,
      email: maskEmail(step.account.email),
      clientName: clientName(ctx),
      hasApp: (await deps.totp.enrolled(step.account.id)) !== undefined,
      hasPasskey: await deps.passkeys.hasPasskey(step.account.id),
      unavailable,
      sent: !unavailable && (state.sent ?? step.flow.stepUpSent === true),
      info: unavailable ? 'mfa.unavailable' : (step.flow.info ?? null),
      error: state.error ?? null,
      cooldownSeconds: 0,
    }, status);
  }

  return {
    show: (ctx: Context, step: StepUp) => page(ctx, step, {}),

    /** A POST, not the page view, sends the code: no email goes out on a GET. */
    async send(ctx: Context, step: StepUp) {
      if (deps.emailFactor.available(step.account)) {
        const wait = await deps.emailFactor.send(step.account);
        updateFlow(ctx, deps, step, { mfaMethod: 'email', stepUpSent: true, info: wait > 0 ? 'code.too_soon' : 'mfa.sent' });
      }
      backToPrompt(ctx, step);
    },

    async submit(ctx: Context, step: StepUp) {
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return page(ctx, step, { sent: true, error: 'code.format' }, 400);
      const check = await deps.emailFactor.verify(step.account, form.code);
      if (!check.ok) return page(ctx, step, { sent: true, error: check.reason }, 400);
      // Without an authenticator app yet, offer one before going on (the member just proved two factors).
      if (!(await deps.totp.enrolled(step.account.id))) {
        updateFlow(ctx, deps, step, { secondFactor: 'email' });
        return backToPrompt(ctx, step);
      }
      return finishStepUp(ctx, deps, step, 'email');
    },
  };
}
