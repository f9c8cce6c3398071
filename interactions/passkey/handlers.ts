// Passkey ceremonies on the hosted pages: sign in (button or autofill) and create the first passkey of a
// passwordless sign-up. The browser side is public/passkey.js; these endpoints speak JSON.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import { ACR } from '../../config/assurance.ts';
import type { Passkey } from '../../server/domain/passkeys/passkeys.repository.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { credentialFrom, jsonError, jsonOk } from '../shared/json.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { rememberLanguage } from '../shared/remember-language.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { jsonHookRefusal, postLogin } from '../shared/hook-callouts.ts';
import { linkOfferLocation } from '../federation/handlers.ts';

/** RFC 8176: a synced passkey is a software key, a device-bound one a hardware key; UV was required. */
export function passkeyAmr(passkey: Pick<Passkey, 'deviceType'>): string[] {
  return [passkey.deviceType === 'multiDevice' ? 'swk' : 'hwk', 'user', 'mfa'];
}

async function signInWith(ctx: Context, deps: InteractionDeps, accountId: string, passkey: Passkey): Promise<void> {
  const hooked = await postLogin(ctx, deps, { accountId, acr: ACR.phishingResistant, amr: passkeyAmr(passkey), ts: Math.floor(Date.now() / 1000) }, 'passkey');
  if ('refused' in hooked) return jsonHookRefusal(ctx, hooked.refused);
  await deps.profiles.recordSignIn(accountId);
  await rememberLanguage(ctx, deps, accountId, 'sign_in');
  await deps.signIns.signedInWith(accountId, ctx.state.deviceHash as string | undefined, 'passkey');
  const { login } = hooked;
  const location = await deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, acr: login.acr, amr: login.amr, remember: !inKioskMode(ctx), ts: login.ts },
  }, { mergeWithLastSubmission: false });
  jsonOk(ctx, { location });
}

/**
 * The autofill request starts with the page and the button starts another: each keeps its own challenge
 * (one per mode and interaction), so the one the member completes is checked against its own.
 */
function loginFlow(ctx: Context): string | undefined {
  const details = ctx.state.interaction as InteractionDetails;
  const mode = (ctx.request.body as { mode?: unknown } | undefined)?.mode;
  return mode === 'autofill' || mode === 'button' ? `login:${mode}:${details.uid}` : undefined;
}

export function passkeyHandlers(deps: InteractionDeps) {
  /** The account whose email this interaction verified for a passwordless sign-up, or undefined. */
  async function verifiedSignup(ctx: Context) {
    const details = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, details.uid);
    if (!flow.passkeySignup || !flow.verifiedAccountId) return undefined;
    const account = await deps.accounts.findById(flow.verifiedAccountId);
    return account?.emailVerified ? { uid: details.uid, account } : undefined;
  }

  return {
    async loginOptions(ctx: Context) {
      const flow = loginFlow(ctx);
      if (!flow) return jsonError(ctx, 'passkey.invalid');
      jsonOk(ctx, await deps.passkeys.authenticationOptions(flow));
    },

    async login(ctx: Context) {
      const flow = loginFlow(ctx);
      const response = credentialFrom<AuthenticationResponseJSON>(ctx.request.body);
      if (!flow || !response) return jsonError(ctx, 'passkey.invalid');
      const result = await deps.passkeys.verifyAuthentication(flow, response);
      if (!result.ok) return jsonError(ctx, result.reason);
      // Same rule as the password: an account whose email is not verified does not sign in.
      if (!result.account.emailVerified) return jsonError(ctx, 'passkey.invalid');
      // An upstream identity waiting for this member's account (issue 16): the passkey proved it; the member
      // confirms the link first, and the sign-in completes there with the passkey's assurance.
      const link = await linkOfferLocation(ctx, deps, result.account.id, { amr: passkeyAmr(result.passkey), acr: ACR.phishingResistant, ts: Math.floor(Date.now() / 1000) });
      if (link) return jsonOk(ctx, { location: link });
      await signInWith(ctx, deps, result.account.id, result.passkey);
    },

    async showCreate(ctx: Context) {
      const signup = await verifiedSignup(ctx);
      const details = ctx.state.interaction as InteractionDetails;
      if (!signup) return seeOther(ctx, `/interaction/${details.uid}`);
      await renderPage(ctx, deps, 'passkey/create', {
        optionsUrl: `/interaction/${signup.uid}/passkey/create/options`,
        verifyUrl: `/interaction/${signup.uid}/passkey/create`,
        email: signup.account.email,
      });
    },

    async createOptions(ctx: Context) {
      const signup = await verifiedSignup(ctx);
      if (!signup) return jsonError(ctx, 'passkey.not_allowed', 403);
      jsonOk(ctx, await deps.passkeys.registrationOptions(`create:${signup.uid}`, signup.account));
    },

    async create(ctx: Context) {
      const signup = await verifiedSignup(ctx);
      if (!signup) return jsonError(ctx, 'passkey.not_allowed', 403);
      const response = credentialFrom<RegistrationResponseJSON>(ctx.request.body);
      if (!response) return jsonError(ctx, 'passkey.invalid');
      const result = await deps.passkeys.verifyRegistration(`create:${signup.uid}`, signup.account, response);
      if (!result.ok) return jsonError(ctx, result.reason);
      await signInWith(ctx, deps, signup.account.id, result.passkey);
    },
  };
}
