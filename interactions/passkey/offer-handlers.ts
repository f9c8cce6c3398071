// The passkey offer right after a password sign-in: create one now (the ceremony in passkey.js) or
// "Not now" (asked again in a week); either way the sign-in then completes at one factor.
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import { RECENT_SIGN_IN_SECONDS } from '../../config/assurance.ts';
import { passkeyAdded } from '../../server/domain/accounts/account-emails.ts';
import { passwordProvesMailbox } from '../../server/domain/accounts/mailbox-password.ts';
import { messageLanguage } from '../../server/i18n/request-language.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { credentialFrom, jsonError, jsonOk } from '../shared/json.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { passwordLoginResult } from '../login/handlers.ts';
import { jsonHookRefusal, renderHookRefusal } from '../shared/hook-callouts.ts';


export function passkeyOfferHandlers(deps: InteractionDeps) {
  /** The password sign-in this interaction just made, if it is recent enough to enrol a passkey. */
  async function pending(ctx: Context) {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, uid);
    if (!flow.passwordAccountId || flow.passwordAt === undefined) return undefined;
    if (Date.now() / 1000 - flow.passwordAt > RECENT_SIGN_IN_SECONDS) return undefined;
    const account = await deps.accounts.findById(flow.passwordAccountId);
    // Re-checked here (not only when the offer was made): a password from an emailed reset proves the inbox only.
    if (!account || passwordProvesMailbox(account)) return undefined;
    return { uid, account, signedInAt: flow.passwordAt };
  }

  return {
    async show(ctx: Context) {
      const state = await pending(ctx);
      const { uid } = ctx.state.interaction as InteractionDetails;
      if (!state) return seeOther(ctx, `/interaction/${uid}`);
      await renderPage(ctx, deps, 'passkey/offer', {
        optionsUrl: `/interaction/${uid}/passkey/offer/options`,
        verifyUrl: `/interaction/${uid}/passkey/offer`,
        skipAction: `/interaction/${uid}/passkey/offer/skip`,
      });
    },

    async options(ctx: Context) {
      const state = await pending(ctx);
      if (!state) return jsonError(ctx, 'passkey.not_allowed', 403);
      jsonOk(ctx, await deps.passkeys.registrationOptions(`offer:${state.uid}`, state.account));
    },

    async create(ctx: Context) {
      const state = await pending(ctx);
      if (!state) return jsonError(ctx, 'passkey.not_allowed', 403);
      const response = credentialFrom<RegistrationResponseJSON>(ctx.request.body);
      if (!response) return jsonError(ctx, 'passkey.invalid');
      const result = await deps.passkeys.verifyRegistration(`offer:${state.uid}`, state.account, response);
      if (!result.ok) return jsonError(ctx, result.reason);
      // A new way into the account: its owner hears about it, in case the password was stolen.
      if (state.account.email) await deps.mailer.send(passkeyAdded(state.account.email, await messageLanguage()));
      const completed = await passwordLoginResult(ctx, deps, state.account.id, state.signedInAt);
      if ('refused' in completed) return jsonHookRefusal(ctx, completed.refused);
      jsonOk(ctx, { location: completed.location });
    },

    async skip(ctx: Context) {
      const state = await pending(ctx);
      const { uid } = ctx.state.interaction as InteractionDetails;
      if (!state) return seeOther(ctx, `/interaction/${uid}`);
      deps.passkeyOffer.snooze(ctx);
      const completed = await passwordLoginResult(ctx, deps, state.account.id, state.signedInAt);
      if ('refused' in completed) return renderHookRefusal(ctx, deps, completed.refused);
      seeOther(ctx, completed.location);
    },
  };
}
