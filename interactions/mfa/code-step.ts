// Second factor by a code to a verified contact — the email address or, by SMS, the mobile phone: sent
// on POST only (never on a page view), then checked under the usual code rules.
import type { Context } from 'koa';
import { z } from 'zod';
import { AMR } from '../../config/assurance.ts';
import { maskEmail } from '../../server/domain/accounts/email-address.ts';
import { maskPhone } from '../../server/domain/accounts/phone-number.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { CodeChannel, CodeFactor } from '../../server/domain/factors/code-factor.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { clientName, renderPage } from '../shared/page.ts';
import { alternatives } from './methods.ts';
import { backToPrompt, finishStepUp, methodAllowed, methodsFor, type StepUp, updateFlow } from './step-up-context.ts';

// Forms without the field (older pages still open in a tab) meant email, the only channel there was.
const channelField = z.enum(['email', 'sms']).default('email');
const sendForm = z.object({ channel: channelField });
const codeForm = z.object({ channel: channelField, code: z.string().max(20) });

export function codeStep(deps: InteractionDeps) {
  const factorFor = (channel: CodeChannel): CodeFactor => (channel === 'sms' ? deps.smsFactor : deps.emailFactor);
  const destination = (step: StepUp, channel: CodeChannel) =>
    channel === 'sms' ? (step.account.phone ? maskPhone(step.account.phone) : '') : step.account.email ? maskEmail(step.account.email) : '';

  async function page(ctx: Context, step: StepUp, channel: CodeChannel, state: { error?: string | null; sent?: boolean }, status = 200) {
    // Not offered: the member has no such contact, has something stronger, or the session proved this class.
    const unavailable = !(await methodsFor(deps, step)).includes(channel);
    // The password came from the inbox (a recent reset): say why email is not a way, rather than a dead end.
    const afterReset = step.context.passwordProvesMailbox === true && step.amr.includes(AMR.password);
    // A phone-first member (no email) whose sign-in was the texted code has no second way yet: say where to add one.
    const phoneOnly = step.account.email === null && step.account.phone !== null;
    const unavailableInfo = afterReset && channel === 'email' ? 'mfa.unavailable_password_reset'
      : factorFor(channel).available(step.account) ? 'mfa.unavailable_other_factor'
        : phoneOnly ? 'mfa.unavailable_phone_only' : 'mfa.unavailable';
    const choices = await alternatives(deps, step.account, step.proven, channel);
    const sent = !unavailable && (state.sent ?? (step.flow.stepUpSent === true && step.flow.mfaMethod === channel));
    await renderPage(ctx, deps, 'mfa/code', {
      channel,
      action: `/interaction/${step.uid}/mfa`,
      sendAction: `/interaction/${step.uid}/mfa/send`,
      methodAction: `/interaction/${step.uid}/mfa/method`,
      abortAction: `/interaction/${step.uid}/abort`,
      destination: destination(step, channel),
      clientName: clientName(ctx),
      choices,
      unavailable,
      sent,
      // The code is the only way here: the page's script (public/auto-send.js) posts the send form on arrival,
      // so the member clicks nothing; the page view itself never sends (no state change on GET).
      autoSend: !unavailable && !sent && choices.length === 0,
      cooldownSeconds: sent ? await factorFor(channel).cooldownRemaining(step.account) : 0,
      info: unavailable ? unavailableInfo : (step.flow.info ?? null),
      passwordReset: afterReset && !unavailable,
      // The step-up is ours, not the client's: the sign-in looked risky (see the risk_step_up check).
      risk: (ctx.state.interaction as InteractionDetails).prompt.reasons.includes('risk_step_up'),
      error: state.error ?? null,
    }, status);
  }

  return {
    show: (ctx: Context, step: StepUp, channel: CodeChannel) => page(ctx, step, channel, {}),

    /** A POST, not the page view, sends the code: no email or SMS goes out on a GET. */
    async send(ctx: Context, step: StepUp) {
      const form = parseForm(sendForm, ctx.request.body);
      if (!form) throw new DomainError('invalid_input', 'unknown code channel');
      // Re-checked here, not trusted from the page: no code goes to a class the session already proved,
      // nor to a contact the member lacks or when they have something stronger.
      if (await methodAllowed(deps, step, form.channel)) {
        const wait = await factorFor(form.channel).send(step.account);
        updateFlow(ctx, deps, step, { mfaMethod: form.channel, stepUpSent: true, info: wait > 0 ? 'code.too_soon' : 'mfa.sent' });
      }
      backToPrompt(ctx, step);
    },

    async submit(ctx: Context, step: StepUp) {
      const form = parseForm(codeForm, ctx.request.body);
      if (!form) throw new DomainError('invalid_input', 'unknown code channel');
      // Even a right code of a method not offered here proves nothing new (or not the factor asked for).
      if (!(await methodAllowed(deps, step, form.channel))) return page(ctx, step, form.channel, { sent: true, error: 'code.invalid' }, 400);
      if (!CODE_SHAPE.test(form.code)) return page(ctx, step, form.channel, { sent: true, error: 'code.format' }, 400);
      const check = await factorFor(form.channel).verify(step.account, form.code);
      if (!check.ok) return page(ctx, step, form.channel, { sent: true, error: check.reason }, 400);
      // Without an authenticator app yet, offer one before going on (the member just proved two factors),
      // but at most once a month: a member who said "Not now" is not asked after every step-up.
      if (!(await deps.totp.enrolled(step.account.id)) && (await deps.profiles.appOfferDue(step.account.id))) {
        await deps.profiles.appOfferShown(step.account.id);
        updateFlow(ctx, deps, step, { secondFactor: form.channel });
        return backToPrompt(ctx, step);
      }
      return finishStepUp(ctx, deps, step, form.channel);
    },
  };
}
