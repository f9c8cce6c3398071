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
    codeUrl: `/interaction/${uid}/code`,
    abortUrl: `/interaction/${uid}/abort`,
    passkeyOptionsUrl: `/interaction/${uid}/passkey/login/options`,
    passkeyLoginUrl: `/interaction/${uid}/passkey/login`,
  };
}

/** Completes the login prompt for a password sign-in made at `signedInAt` (epoch seconds). */
export async function passwordLoginResult(ctx: Context, deps: InteractionDeps, accountId: string, signedInAt: number): Promise<string> {
  await deps.profiles.recordSignIn(accountId);
  return deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, acr: ACR.oneFactor, amr: ['pwd'], remember: true, ts: signedInAt },
  }, { mergeWithLastSubmission: false });
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
      const signedInAt = Math.floor(Date.now() / 1000);
      if (form?.webauthn === '1' && (await deps.passkeyOffer.due(ctx, account.id))) {
        // The sign-in completes on the offer page, whichever way the member answers it.
        deps.flow.write(ctx, details.uid, { passwordAccountId: account.id, passwordAt: signedInAt });
        return seeOther(ctx, `/interaction/${details.uid}/passkey/offer`);
      }
      seeOther(ctx, await passwordLoginResult(ctx, deps, account.id, signedInAt));
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
