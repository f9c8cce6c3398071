// Sign-in with email and password; one answer for every kind of failure.
import type { Context } from 'koa';
import { ACR } from '../../config/assurance.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';
import { loginForm } from './input.ts';

function links(uid: string) {
  return {
    uid,
    action: `/interaction/${uid}/login`,
    registerUrl: `/interaction/${uid}/register`,
    forgotUrl: `/interaction/${uid}/forgot`,
    abortUrl: `/interaction/${uid}/abort`,
    passkeyOptionsUrl: `/interaction/${uid}/passkey/login/options`,
    passkeyLoginUrl: `/interaction/${uid}/passkey/login`,
  };
}

export function loginHandlers(deps: InteractionDeps) {
  return {
    async show(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const flow = deps.flow.read(ctx, details.uid);
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      await renderPage(ctx, deps, 'login/login', {
        ...links(details.uid),
        email: flow.email ?? hint,
        error: null,
        info: flow.info ?? null,
        clientName: clientName(ctx),
      });
    },

    async submit(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const form = parseForm(loginForm, ctx.request.body);
      const account = form ? await deps.accounts.authenticate(form.email, form.password) : undefined;
      if (!account) {
        await renderPage(ctx, deps, 'login/login', {
          ...links(details.uid),
          email: form?.email ?? '',
          error: 'login.error.invalid',
          info: null,
          clientName: clientName(ctx),
        }, 400);
        return;
      }
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: account.id, acr: ACR.oneFactor, amr: ['pwd'], remember: true, ts: Math.floor(Date.now() / 1000) },
      }, { mergeWithLastSubmission: false });
      seeOther(ctx, returnTo);
    },

    /** "Cancel": the client gets access_denied, as the spec expects when the member declines. */
    async abort(ctx: Context) {
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
      seeOther(ctx, returnTo);
    },
  };
}
