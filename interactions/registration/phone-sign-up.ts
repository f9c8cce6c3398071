// Sign-up by mobile number (issue 21): number → SMS code → a member with a verified phone and no email or password.
import type { Context } from 'koa';
import { ACR, AMR } from '../../config/assurance.ts';
import { maskPhone } from '../../server/domain/accounts/phone-number.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { postLogin, renderHookRefusal } from '../shared/hook-callouts.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { pageLanguage, renderPage, seeOther } from '../shared/page.ts';
import { phoneFieldLocals, phoneForm, postedCountry } from '../shared/phone-field.ts';
import { rememberLanguage } from '../shared/remember-language.ts';
import { verificationForm as codeForm } from '../verification/input.ts';
import { enrolmentChannel } from './handlers.ts';
import type { SignUpGateForm } from './koa-check-sign-up-gate.ts';

export function phoneSignUpHandlers(deps: InteractionDeps) {
  const base = (uid: string) => `/interaction/${uid}/register/phone`;

  // The bot challenge as on the email form (see koa-check-sign-up-gate.ts): when the gate asked for it, or ahead
  // of time for an address that will be asked.
  const numberPage = async (ctx: Context, uid: string, value: string, error: string | null, status = 200, challenge?: boolean) => {
    const withChallenge = challenge ?? (await deps.signUps.challengeExpected(String(ctx.state.clientIp)));
    return renderPage(ctx, deps, 'registration/register-phone', {
      ...(await phoneFieldLocals(ctx, deps, postedCountry(ctx))),
      action: base(uid),
      emailUrl: `/interaction/${uid}/register`,
      signInUrl: `/interaction/${uid}`,
      value,
      error,
      botChallenge: withChallenge ? deps.botChallenge.issue(uid) : null,
      // The check is a step, not a fault: a neutral notice, the number kept.
      notice: challenge && !error ? 'bot_challenge.step_sign_up_phone' : null,
    }, status);
  };

  /** The number as the form reads it (posted country, else the preselected one), or why it cannot be. */
  const parseNumber = async (ctx: Context, form: { phone: string; country?: string | undefined }) =>
    deps.phones.parse(form.phone, form.country ?? deps.phones.preselected(await pageLanguage(ctx, deps), ctx.state.clientIp as string | undefined));

  /** The sign-up gate's view of the number form: a valid number, and a decoy code page for a tripped honeypot. */
  const gateForm: SignUpGateForm = {
    async read(ctx, body) {
      if (!deps.phones.enabled) return null;
      const form = parseForm(phoneForm, body);
      return form && (await parseNumber(ctx, form)).ok ? form.phone : null;
    },
    async decoy(ctx, uid, value) {
      const form = parseForm(phoneForm, ctx.request.body);
      const parsed = form ? await parseNumber(ctx, form) : undefined;
      // The same next page as a real send; the flag keeps its resend and code from reaching the number.
      deps.flow.write(ctx, uid, { phone: parsed?.ok ? parsed.e164 : value, phoneSignUp: true, phoneSignUpDecoy: true, info: 'phone_first.sent' });
      seeOther(ctx, `${base(uid)}/verify`);
    },
  };

  // Only ever masked, on every screen (a kiosk is shared; see issue 21).
  const codePage = (ctx: Context, uid: string, phone: string, error: string | null, info: string | null, status = 200) =>
    renderPage(ctx, deps, 'registration/register-phone-code', {
      action: `${base(uid)}/verify`,
      // The resend form carries no number (the flow state has it): nothing in the page holds it unmasked.
      resendAction: `${base(uid)}/resend`,
      changeUrl: base(uid),
      destination: maskPhone(phone),
      error,
      info,
    }, status);

  /** The number this interaction sent a sign-up code to, or a redirect back to the number page. */
  function pending(ctx: Context): { uid: string; phone: string; info: string | null; decoy: boolean } | undefined {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, uid);
    if (flow.phoneSignUp && flow.phone) return { uid, phone: flow.phone, info: flow.info ?? null, decoy: flow.phoneSignUpDecoy === true };
    seeOther(ctx, base(uid));
    return undefined;
  }

  async function signIn(ctx: Context, accountId: string): Promise<void> {
    const hooked = await postLogin(ctx, deps, { accountId, acr: ACR.oneFactor, amr: [AMR.sms], ts: Math.floor(Date.now() / 1000) }, 'phone_sign_up');
    if ('refused' in hooked) return renderHookRefusal(ctx, deps, hooked.refused);
    await deps.profiles.recordSignIn(accountId);
    await deps.signIns.signedInWith(accountId, ctx.state.deviceHash as string | undefined, 'phone_sign_up');
    const { login } = hooked;
    const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId, acr: login.acr, amr: login.amr, remember: !inKioskMode(ctx), ts: login.ts },
    }, { mergeWithLastSubmission: false });
    seeOther(ctx, returnTo);
  }

  return {
    gateForm,
    /** The number form again after the sign-up gate asked for the bot challenge, the number kept. */
    challengePage: (ctx: Context, value: string, error: string | null, challenge: boolean, status: number) =>
      numberPage(ctx, (ctx.state.interaction as InteractionDetails).uid, value, error, status, challenge),

    async show(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      if (!deps.phones.enabled) return seeOther(ctx, `/interaction/${uid}/register`);
      await numberPage(ctx, uid, '', null);
    },

    /** Same next page whether or not the number is a member's (see PhoneService.startSignUp). */
    async send(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      if (!deps.phones.enabled) throw new DomainError('invalid_input', 'SMS is not available');
      const form = parseForm(phoneForm, ctx.request.body);
      if (!form) return numberPage(ctx, uid, '', 'phone.invalid', 400);
      const country = form.country ?? deps.phones.preselected(await pageLanguage(ctx, deps), ctx.state.clientIp as string | undefined);
      const started = await deps.phones.startSignUp(form.phone, country);
      if (!started.ok) return numberPage(ctx, uid, form.phone, started.reason, 400);
      deps.flow.write(ctx, uid, { phone: started.phone, phoneSignUp: true, info: started.retryAfterSeconds > 0 ? 'code.too_soon' : 'phone_first.sent' });
      seeOther(ctx, `${base(uid)}/verify`);
    },

    /** The rate limit key of a resend: the number waiting for its code, in digits (as the number form's key). */
    pendingNumber(ctx: Context): string | undefined {
      const { uid } = ctx.state.interaction as InteractionDetails;
      const flow = deps.flow.read(ctx, uid);
      return flow.phoneSignUp && flow.phone ? flow.phone.replace(/\D/g, '') : undefined;
    },

    /** "Send a new code": to the number of this sign-up, with the same answer as the first time. */
    async resend(ctx: Context) {
      const state = pending(ctx);
      if (!state) return;
      if (!deps.phones.enabled) throw new DomainError('invalid_input', 'SMS is not available');
      // A honeypot's decoy: the answer a real resend gets, nothing sent.
      if (state.decoy) return seeOther(ctx, `${base(state.uid)}/verify`);
      const started = await deps.phones.startSignUp(state.phone);
      if (!started.ok) return seeOther(ctx, base(state.uid));
      deps.flow.write(ctx, state.uid, { phone: started.phone, phoneSignUp: true, info: started.retryAfterSeconds > 0 ? 'code.too_soon' : 'phone_first.sent' });
      seeOther(ctx, `${base(state.uid)}/verify`);
    },

    async showCode(ctx: Context) {
      const state = pending(ctx);
      if (state) await codePage(ctx, state.uid, state.phone, null, state.info);
    },

    async verify(ctx: Context) {
      const state = pending(ctx);
      if (!state) return;
      const form = parseForm(codeForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, state.uid, state.phone, 'code.format', null, 400);
      // A honeypot's decoy was sent no code: no code is right, and none of the number's real ones is tried.
      if (state.decoy) return codePage(ctx, state.uid, state.phone, 'code.invalid', null, 400);
      // The member, the sign-up counter and the funnel's events are written there (as email sign-up's are).
      const result = await deps.phones.completeSignUp(state.phone, form.code, enrolmentChannel(ctx));
      if (!result.ok) return codePage(ctx, state.uid, state.phone, result.reason, null, 400);
      const accountId = result.account.id;
      await rememberLanguage(ctx, deps, accountId, 'sign_up');
      // Enrolled on a shared kiosk: the passkey and the rest are for the member's own phone, by a texted link.
      if (inKioskMode(ctx)) await deps.phones.sendKioskFinish(state.phone, new URL('/account/security', deps.provider.issuer).href);
      await signIn(ctx, accountId);
    },
  };
}
