// The mfa prompt: a signed-in member proves a second factor to reach urn:loyalty:loa:2 — the
// authenticator app when there is one, else (or by choice) a code to the verified email, or a
// recovery code, or a passkey (the only way to phr) — and may add an app after an email step-up.
import type { Context } from 'koa';
import { z } from 'zod';
import { ACR, acrRank } from '../../config/assurance.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { authenticatorStep } from './authenticator.ts';
import { emailCodeStep } from './email-code.ts';
import { enrolmentStep } from './enrolment.ts';
import { passkeyStep } from './passkey-step.ts';
import { backToPrompt, loadStepUp, type StepUp, updateFlow } from './step-up-context.ts';

const methodForm = z.object({ method: z.enum(['email', 'totp', 'recovery', 'passkey']) });
/** Rank of urn:loyalty:loa:phr (see config/assurance.ts): only a passkey gets there. */
const PHR_RANK = acrRank(ACR.phishingResistant);

export function mfaHandlers(deps: InteractionDeps) {
  const email = emailCodeStep(deps);
  const app = authenticatorStep(deps);
  const enrolment = enrolmentStep(deps);
  const passkey = passkeyStep(deps);

  /** Runs `handler` with the step-up state; `requireProven` guards the steps after a proven email code. */
  const withStepUp = (handler: (ctx: Context, step: StepUp) => Promise<void> | void, requireProven = false) =>
    async (ctx: Context) => {
      const step = await loadStepUp(ctx, deps);
      if (requireProven && step.flow.secondFactor !== 'email') throw new DomainError('invalid_input', 'no second factor proven in this interaction');
      await handler(ctx, step);
    };

  return {
    show: withStepUp(async (ctx, step) => {
      if (step.flow.secondFactor === 'email') return enrolment.show(ctx, step);
      if (await deps.passkeys.hasPasskey(step.account.id)) {
        const target = Number((ctx.state.interaction as InteractionDetails).prompt.details.target);
        if (target >= PHR_RANK) return passkey.show(ctx, step, true);
        if (step.flow.mfaMethod === 'passkey') return passkey.show(ctx, step, false);
      }
      const hasApp = (await deps.totp.enrolled(step.account.id)) !== undefined;
      const method = step.flow.mfaMethod ?? (hasApp ? 'totp' : 'email');
      if (method === 'totp' && hasApp) return app.showApp(ctx, step);
      if (method === 'recovery' && hasApp) return app.showRecovery(ctx, step);
      return email.show(ctx, step);
    }),

    chooseMethod: withStepUp((ctx, step) => {
      const form = parseForm(methodForm, ctx.request.body);
      if (!form) throw new DomainError('invalid_input', 'unknown second-factor method');
      updateFlow(ctx, deps, step, { mfaMethod: form.method });
      backToPrompt(ctx, step);
    }),

    send: withStepUp(email.send),
    submitEmail: withStepUp(email.submit),
    submitApp: withStepUp(app.submitApp),
    submitRecovery: withStepUp(app.submitRecovery),
    startEnrolment: withStepUp(enrolment.start, true),
    confirmEnrolment: withStepUp(enrolment.confirm, true),
    finish: withStepUp(enrolment.finish, true),
    passkeyOptions: withStepUp(passkey.options),
    passkeyVerify: withStepUp(passkey.verify),
  };
}
