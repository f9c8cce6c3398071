// The mfa prompt: a signed-in member proves a second factor of a class the session has not proven to
// reach urn:loyalty:loa:2 — a passkey or the authenticator app when there is one (recovery codes as its
// fallback), else a code by SMS or email — or a passkey for phr, and may add an app after a step-up by code.
import type { Context } from 'koa';
import { z } from 'zod';
import { ACR, acrRank } from '../../config/assurance.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { authenticatorStep } from './authenticator.ts';
import { codeStep } from './code-step.ts';
import { enrolmentStep } from './enrolment.ts';
import { passkeyStep } from './passkey-step.ts';
import { backToPrompt, loadStepUp, methodAllowed, methodsFor, type StepUp, updateFlow } from './step-up-context.ts';

const methodForm = z.object({ method: z.enum(['email', 'sms', 'totp', 'recovery', 'passkey']) });
/** Rank of urn:loyalty:loa:phr (see config/assurance.ts): only a passkey gets there. */
const PHR_RANK = acrRank(ACR.phishingResistant);

export function mfaHandlers(deps: InteractionDeps) {
  const code = codeStep(deps);
  const app = authenticatorStep(deps);
  const enrolment = enrolmentStep(deps);
  const passkey = passkeyStep(deps);

  /** Runs `handler` with the step-up state; `requireProven` guards the steps after a proven code. */
  const withStepUp = (handler: (ctx: Context, step: StepUp) => Promise<void> | void, requireProven = false) =>
    async (ctx: Context) => {
      const step = await loadStepUp(ctx, deps);
      const proven = step.flow.secondFactor === 'email' || step.flow.secondFactor === 'sms';
      if (requireProven && !proven) throw new DomainError('invalid_input', 'no second factor proven in this interaction');
      await handler(ctx, step);
    };

  return {
    show: withStepUp(async (ctx, step) => {
      if (step.flow.secondFactor === 'email' || step.flow.secondFactor === 'sms') return enrolment.show(ctx, step);
      const methods = await methodsFor(deps, step);
      if (methods.includes('passkey')) {
        const target = Number((ctx.state.interaction as InteractionDetails).prompt.details.target);
        if (target >= PHR_RANK) return passkey.show(ctx, step, true);
      }
      // The member's pick when it is still allowed, else the app or a code, else a passkey, else the
      // email page, which says the account has no other way to confirm.
      const picked = step.flow.mfaMethod && methods.includes(step.flow.mfaMethod) ? step.flow.mfaMethod : undefined;
      const method = picked ?? methods.find((m) => m !== 'passkey' && m !== 'recovery') ?? methods[0] ?? 'email';
      switch (method) {
        case 'passkey':
          return passkey.show(ctx, step, false);
        case 'totp':
          return app.showApp(ctx, step);
        case 'recovery':
          return app.showRecovery(ctx, step);
        default:
          return code.show(ctx, step, method);
      }
    }),

    chooseMethod: withStepUp(async (ctx, step) => {
      const form = parseForm(methodForm, ctx.request.body);
      if (!form) throw new DomainError('invalid_input', 'unknown second-factor method');
      // A method this step-up does not offer is not recorded: the page shows what is allowed.
      if (await methodAllowed(deps, step, form.method)) updateFlow(ctx, deps, step, { mfaMethod: form.method });
      backToPrompt(ctx, step);
    }),

    send: withStepUp(code.send),
    submitCode: withStepUp(code.submit),
    submitApp: withStepUp(app.submitApp),
    submitRecovery: withStepUp(app.submitRecovery),
    startEnrolment: withStepUp(enrolment.start, true),
    confirmEnrolment: withStepUp(enrolment.confirm, true),
    finish: withStepUp(enrolment.finish, true),
    downloadCodes: withStepUp(enrolment.download, true),
    passkeyOptions: withStepUp(passkey.options),
    passkeyVerify: withStepUp(passkey.verify),
  };
}
