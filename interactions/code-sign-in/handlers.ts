// Passwordless sign-in with a 6-digit code to the member's verified email (amr "otp", one factor).
import type { Context } from 'koa';
import { ACR } from '../../config/assurance.ts';
import { isValidEmail, maskEmail, normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { forgotForm as emailForm } from '../recovery/input.ts';
import { verificationForm as codeForm } from '../verification/input.ts';

export function codeSignInHandlers(deps: InteractionDeps) {
  const requestPage = (ctx: Context, uid: string, email: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'code-sign-in/request', { action: `/interaction/${uid}/code`, signInUrl: `/interaction/${uid}`, email, error }, status);

  const codePage = (ctx: Context, uid: string, email: string, error: string | null, info: string | null, status = 200) =>
    renderPage(ctx, deps, 'code-sign-in/enter', {
      action: `/interaction/${uid}/code/verify`,
      resendAction: `/interaction/${uid}/code`,
      resendEmail: email,
      email: maskEmail(email),
      error,
      info,
    }, status);

  /** The address this interaction asked a code for, or a redirect back to the request page. */
  function requested(ctx: Context) {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, uid);
    if (!flow.codeSignIn || !flow.email) {
      seeOther(ctx, `/interaction/${uid}/code`);
      return undefined;
    }
    return { uid, email: flow.email, info: flow.info ?? null };
  }

  return {
    async show(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      await requestPage(ctx, uid, deps.flow.read(ctx, uid).email ?? '', null);
    },

    async send(ctx: Context) {
      const { uid } = ctx.state.interaction as InteractionDetails;
      const form = parseForm(emailForm, ctx.request.body);
      const email = form ? normaliseEmail(form.email) : '';
      if (!isValidEmail(email)) return requestPage(ctx, uid, form?.email ?? '', 'email.invalid', 400);
      // Same next page whether or not a member has this address.
      const { retryAfterSeconds } = await deps.accounts.startCodeSignIn(email);
      deps.flow.write(ctx, uid, { email, codeSignIn: true, info: retryAfterSeconds > 0 ? 'code.too_soon' : 'code_sign_in.sent' });
      seeOther(ctx, `/interaction/${uid}/code/verify`);
    },

    async showEnter(ctx: Context) {
      const state = requested(ctx);
      if (state) await codePage(ctx, state.uid, state.email, null, state.info);
    },

    async verify(ctx: Context) {
      const state = requested(ctx);
      if (!state) return;
      const form = parseForm(codeForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, state.uid, state.email, 'code.format', null, 400);
      const result = await deps.accounts.completeCodeSignIn(state.email, form.code);
      if (!result.ok) return codePage(ctx, state.uid, state.email, result.reason, null, 400);
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: result.account.id, acr: ACR.oneFactor, amr: ['otp'], remember: true, ts: Math.floor(Date.now() / 1000) },
      }, { mergeWithLastSubmission: false });
      seeOther(ctx, returnTo);
    },
  };
}
