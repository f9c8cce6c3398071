// Second factor by the authenticator app, or by one of its single-use recovery codes.
import type { Context } from 'koa';
import { z } from 'zod';
import type { InteractionDeps } from '../shared/deps.ts';
import { CODE_SHAPE, field, parseForm } from '../shared/input.ts';
import { clientName, renderPage } from '../shared/page.ts';
import { verificationForm } from '../verification/input.ts';
import { alternatives } from './methods.ts';
import { finishStepUp, methodAllowed, type StepUp } from './step-up-context.ts';

const recoveryForm = z.object({ code: field(40) });
/** XXXXX-XXXXX from our alphabet, in any case, with or without the dash or spaces. */
const RECOVERY_SHAPE = /^[A-Za-z0-9]{5}[\s-]?[A-Za-z0-9]{5}$/;

export function authenticatorStep(deps: InteractionDeps) {
  const actions = async (step: StepUp, current: 'totp' | 'recovery') => ({
    methodAction: `/interaction/${step.uid}/mfa/method`,
    abortAction: `/interaction/${step.uid}/abort`,
    choices: await alternatives(deps, step.account, step.proven, current),
  });

  const appPage = async (ctx: Context, step: StepUp, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'mfa/app-code', { ...(await actions(step, 'totp')), action: `/interaction/${step.uid}/mfa/app`, clientName: clientName(ctx), error }, status);

  const recoveryPage = async (ctx: Context, step: StepUp, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'mfa/recovery-code', { ...(await actions(step, 'recovery')), action: `/interaction/${step.uid}/mfa/recovery`, error }, status);

  return {
    showApp: (ctx: Context, step: StepUp) => appPage(ctx, step, null),
    showRecovery: (ctx: Context, step: StepUp) => recoveryPage(ctx, step, null),

    async submitApp(ctx: Context, step: StepUp) {
      if (!(await methodAllowed(deps, step, 'totp'))) return appPage(ctx, step, 'code.invalid', 400);
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return appPage(ctx, step, 'code.format', 400);
      const check = await deps.totp.verify(step.account.id, form.code);
      if (!check.ok) return appPage(ctx, step, check.reason, 400);
      return finishStepUp(ctx, deps, step, 'totp');
    },

    async submitRecovery(ctx: Context, step: StepUp) {
      if (!(await methodAllowed(deps, step, 'recovery'))) return recoveryPage(ctx, step, 'recovery.invalid', 400);
      const form = parseForm(recoveryForm, ctx.request.body);
      if (!form || !RECOVERY_SHAPE.test(form.code.trim())) return recoveryPage(ctx, step, 'recovery.format', 400);
      const check = await deps.totp.useRecoveryCode(step.account.id, form.code.trim());
      if (!check.ok) return recoveryPage(ctx, step, check.reason === 'code.exhausted' ? 'code.exhausted' : 'recovery.invalid', 400);
      return finishStepUp(ctx, deps, step, 'recovery');
    },
  };
}
