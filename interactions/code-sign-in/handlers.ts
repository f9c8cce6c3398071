// Passwordless sign-in with a 6-digit code to the member's verified email (amr "email") or, by SMS, to
// their verified mobile (amr "sms"): one factor either way (see AMR in config/assurance.ts).
import type { Context } from 'koa';
import { offerLink } from '../federation/handlers.ts';
import { ACR, AMR } from '../../config/assurance.ts';
import { isValidEmail, maskEmail, maskEmailForSharedScreen, normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import { maskPhone } from '../../server/domain/accounts/phone-number.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { phoneFieldLocals, phoneForm, postedCountry } from '../shared/phone-field.ts';
import { pageLanguage, renderPage, seeOther } from '../shared/page.ts';
import { forgotForm as emailForm } from '../recovery/input.ts';
import { verificationForm as codeForm } from '../verification/input.ts';
import { rememberLanguage } from '../shared/remember-language.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { postLogin, renderHookRefusal } from '../shared/hook-callouts.ts';

type Channel = 'email' | 'sms';
interface Requested {
  uid: string;
  channel: Channel;
  /** Normalised email or E.164 number. */
  to: string;
  info: string | null;
}

export function codeSignInHandlers(deps: InteractionDeps) {
  const base = (uid: string) => `/interaction/${uid}/code`;
  const requestPage = async (ctx: Context, uid: string, channel: Channel, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'code-sign-in/request', {
      ...(channel === 'sms' ? await phoneFieldLocals(ctx, deps, postedCountry(ctx)) : {}),
      channel,
      action: channel === 'sms' ? `${base(uid)}/sms` : base(uid),
      signInUrl: `/interaction/${uid}`,
      // Each form links to the other channel (SMS only when a provider is configured).
      switchUrl: channel === 'sms' ? base(uid) : deps.phones.enabled ? `${base(uid)}/sms` : null,
      value,
      error,
    }, status);

  const codePage = (ctx: Context, state: Requested, error: string | null, info: string | null, status = 200) =>
    renderPage(ctx, deps, 'code-sign-in/enter', {
      channel: state.channel,
      action: `${base(state.uid)}/verify`,
      resendAction: state.channel === 'sms' ? `${base(state.uid)}/sms` : base(state.uid),
      resendField: state.channel === 'sms' ? 'phone' : 'email',
      resendValue: state.to,
      // On a shared kiosk the domain is masked too (issue 21).
      destination: state.channel === 'sms' ? maskPhone(state.to) : inKioskMode(ctx) ? maskEmailForSharedScreen(state.to) : maskEmail(state.to),
      error,
      info,
    }, status);

  /** What this interaction asked a code for, or a redirect back to the request page. */
  function requested(ctx: Context): Requested | undefined {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, uid);
    const info = flow.info ?? null;
    if (flow.codeSignIn && flow.phone) return { uid, channel: 'sms', to: flow.phone, info };
    if (flow.codeSignIn && flow.email) return { uid, channel: 'email', to: flow.email, info };
    seeOther(ctx, base(uid));
    return undefined;
  }

  async function signIn(ctx: Context, accountId: string, channel: Channel): Promise<void> {
    // An emailed code proves the account of a waiting upstream identity too: the link page first.
    if (channel === 'email' && (await offerLink(ctx, deps, accountId, { amr: [AMR.email], acr: ACR.oneFactor, ts: Math.floor(Date.now() / 1000) }))) return;
    const hooked = await postLogin(ctx, deps, { accountId, acr: ACR.oneFactor, amr: [channel === 'sms' ? AMR.sms : AMR.email], ts: Math.floor(Date.now() / 1000) }, `code_${channel}`);
    if ('refused' in hooked) return renderHookRefusal(ctx, deps, hooked.refused);
    await deps.profiles.recordSignIn(accountId);
    await rememberLanguage(ctx, deps, accountId, 'sign_in');
    await deps.signIns.signedInWith(accountId, ctx.state.deviceHash as string | undefined, `code_${channel}`);
    const { login } = hooked;
    const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId, acr: login.acr, amr: login.amr, remember: !inKioskMode(ctx), ts: login.ts },
    }, { mergeWithLastSubmission: false });
    seeOther(ctx, returnTo);
  }

  const sentNotice = (wait: number) => (wait > 0 ? 'code.too_soon' : 'code_sign_in.sent');

  return {
    async show(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      await requestPage(ctx, uid, 'email', deps.flow.read(ctx, uid).email ?? '', null);
    },

    async showSms(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      if (!deps.phones.enabled) return seeOther(ctx, base(uid));
      await requestPage(ctx, uid, 'sms', '', null);
    },

    async send(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      const form = parseForm(emailForm, ctx.request.body);
      const email = form ? normaliseEmail(form.email) : '';
      if (!isValidEmail(email)) return requestPage(ctx, uid, 'email', form?.email ?? '', 'email.invalid', 400);
      // Same next page whether or not a member has this address.
      const { retryAfterSeconds } = await deps.accounts.startCodeSignIn(email);
      deps.flow.write(ctx, uid, { email, codeSignIn: true, info: sentNotice(retryAfterSeconds) });
      seeOther(ctx, `${base(uid)}/verify`);
    },

    async sendSms(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      if (!deps.phones.enabled) throw new DomainError('invalid_input', 'SMS is not available');
      const form = parseForm(phoneForm, ctx.request.body);
      if (!form) return requestPage(ctx, uid, 'sms', '', 'phone.invalid', 400);
      // Same next page whether or not a member has this number (only a member's number gets an SMS).
      const started = await deps.phones.startSignIn(form.phone, form.country ?? deps.phones.preselected(await pageLanguage(ctx, deps), ctx.state.clientIp as string | undefined));
      if (!started.ok) return requestPage(ctx, uid, 'sms', form.phone, started.reason, 400);
      deps.flow.write(ctx, uid, { phone: started.phone, codeSignIn: true, info: sentNotice(started.retryAfterSeconds) });
      seeOther(ctx, `${base(uid)}/verify`);
    },

    async showEnter(ctx: Context) {
      const state = requested(ctx);
      if (state) await codePage(ctx, state, null, state.info);
    },

    async verify(ctx: Context) {
      const state = requested(ctx);
      if (!state) return;
      const form = parseForm(codeForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, state, 'code.format', null, 400);
      const result = state.channel === 'sms'
        ? await deps.phones.completeSignIn(state.to, form.code)
        : await deps.accounts.completeCodeSignIn(state.to, form.code);
      if (!result.ok) return codePage(ctx, state, result.reason, null, 400);
      await signIn(ctx, result.account.id, state.channel);
    },
  };
}
