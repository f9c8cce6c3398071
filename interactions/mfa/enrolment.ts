// Adding an authenticator app right after a step-up by an email or SMS code (two factors just proven): offer, scan or
// type the key, confirm with a first code, then see the recovery codes once.
import type { Context } from 'koa';
import QRCode from 'qrcode';
import type { InteractionDeps } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { renderPage } from '../shared/page.ts';
import { verificationForm } from '../verification/input.ts';
import { sendRecoveryCodesFile } from '../shared/recovery-codes-file.ts';
import { backToPrompt, finishStepUp, type StepUp, updateFlow } from './step-up-context.ts';

export function enrolmentStep(deps: InteractionDeps) {
  const finishAction = (step: StepUp) => `/interaction/${step.uid}/mfa/finish`;

  async function enrolPage(ctx: Context, step: StepUp, error: string | null, status = 200) {
    const pending = step.flow.enrolFactorId ? await deps.totp.pendingEnrolment(step.account, step.flow.enrolFactorId) : undefined;
    if (!pending) return offerPage(ctx, step);
    await renderPage(ctx, deps, 'mfa/app-enrol', {
      action: `/interaction/${step.uid}/mfa/enrol/confirm`,
      finishAction: finishAction(step),
      // Drawn on the server as SVG: no script, no third party sees the secret.
      qrSvg: await QRCode.toString(pending.uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }),
      manualKey: pending.manualKey,
      // "Open in authenticator app" on a phone: the same otpauth:// URI the QR code holds.
      otpauthUri: pending.uri,
      error,
    }, status);
  }

  function offerPage(ctx: Context, step: StepUp) {
    return renderPage(ctx, deps, 'mfa/app-offer', { startAction: `/interaction/${step.uid}/mfa/enrol`, finishAction: finishAction(step) });
  }

  return {
    /** Shown once the email code was right and no app is enrolled yet. */
    show: (ctx: Context, step: StepUp) => (step.flow.enrolFactorId ? enrolPage(ctx, step, null) : offerPage(ctx, step)),

    async start(ctx: Context, step: StepUp) {
      const pending = await deps.totp.startEnrolment(step.account);
      updateFlow(ctx, deps, step, { enrolFactorId: pending.factorId });
      backToPrompt(ctx, step);
    },

    async confirm(ctx: Context, step: StepUp) {
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return enrolPage(ctx, step, 'code.format', 400);
      const factorId = step.flow.enrolFactorId;
      const result = factorId ? await deps.totp.confirmEnrolment(step.account, factorId, form.code) : undefined;
      if (!result?.ok) return enrolPage(ctx, step, result?.reason ?? 'code.invalid', 400);
      updateFlow(ctx, deps, step, { enrolFactorId: undefined });
      // Rendered in this response and never stored in clear: the only time the codes exist outside a hash.
      await renderPage(ctx, deps, 'mfa/recovery-codes', { codes: result.recoveryCodes, finishAction: finishAction(step), downloadAction: `/interaction/${step.uid}/mfa/codes.txt` });
    },

    /** "Download" on the recovery-codes page, right after they were made in this step-up. */
    download: (ctx: Context, step: StepUp) => sendRecoveryCodesFile(ctx, deps, step.account),

    /** "Not now" on the offer, or "Continue" after the recovery codes: the step-up proven by a code ends here. */
    finish: (ctx: Context, step: StepUp) => finishStepUp(ctx, deps, step, step.flow.secondFactor === 'sms' ? 'sms' : 'email'),
  };
}
