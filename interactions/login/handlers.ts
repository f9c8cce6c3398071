// Sign-in with email and password; one answer for every kind of failure. The lockout gate runs first
// (koa-check-sign-in-gate.ts); a right password from a risky context completes the login prompt at
// RISK_PENDING_ACR, which the mfa prompt turns into a step-up before any token is issued.
import type { Context } from 'koa';
import { ACR, RISK_PENDING_ACR } from '../../config/assurance.ts';
import { passwordProvesMailbox } from '../../server/domain/accounts/mailbox-password.ts';
import type { SignInAttempt } from '../../server/security/lockout/sign-in-guard.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { seeOther } from '../shared/page.ts';
import type { z } from 'zod';
import type { loginForm } from './input.ts';
import { renderLogin } from './page.ts';
import { rememberLanguage } from '../shared/remember-language.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { type HookRefusal, postLogin, renderHookRefusal } from '../shared/hook-callouts.ts';
import { offerLink } from '../federation/handlers.ts';

/**
 * Completes the login prompt for a password sign-in made at `signedInAt` (epoch seconds): the location to go
 * on to, or the post-login hook's refusal to show.
 */
export async function passwordLoginResult(ctx: Context, deps: InteractionDeps, accountId: string, signedInAt: number, risky = false): Promise<{ location: string } | { refused: HookRefusal }> {
  const hooked = await postLogin(ctx, deps, { accountId, acr: risky ? RISK_PENDING_ACR : ACR.oneFactor, amr: ['pwd'], ts: signedInAt }, 'password');
  if ('refused' in hooked) return hooked;
  await deps.profiles.recordSignIn(accountId);
  await rememberLanguage(ctx, deps, accountId, 'sign_in');
  // A risky sign-in (or one the hook wants stepped up) proves nothing about the device yet: it is trusted once the step-up succeeds.
  if (!risky && !hooked.stepUp) await deps.signIns.trustDevice(accountId, ctx.state.deviceHash as string | undefined);
  const { login } = hooked;
  return {
    location: await deps.provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId, acr: login.acr, amr: login.amr, remember: !inKioskMode(ctx), ts: login.ts },
    }, { mergeWithLastSubmission: false }),
  };
}

export function loginHandlers(deps: InteractionDeps) {
  return {
    async show(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const flow = deps.flow.read(ctx, details.uid);
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      await renderLogin(ctx, deps, {
        email: flow.email ?? hint,
        info: flow.info ?? null,
        // Solved while the member types, so a flagged address costs a real member no extra step.
        challenge: await deps.signIns.challengeExpected(String(ctx.state.clientIp)),
      });
    },

    /** Runs after checkSignInGate, which parsed the form and let this attempt through. */
    async submit(ctx: Context) {
      const details = ctx.state.interaction as InteractionDetails;
      const form = ctx.state.loginForm as z.output<typeof loginForm>;
      const attempt = ctx.state.signInAttempt as SignInAttempt;
      const result = await deps.accounts.signIn(attempt.email, form.password);
      if (!result.ok) {
        await deps.signIns.failed(attempt, result, form.password);
        await renderLogin(ctx, deps, { email: form.email, error: 'login.error.invalid', status: 400 });
        return;
      }
      const { account } = result;
      const deviceHash = ctx.state.deviceHash as string | undefined;
      const risk = await deps.signIns.succeeded(attempt, account, deviceHash);
      const signedInAt = Math.floor(Date.now() / 1000);
      // An upstream identity waiting for this member's account: the member confirms the link first (not after a
      // risky sign-in, whose step-up must come first; the link is then simply not offered).
      if (!risk.high && (await offerLink(ctx, deps, account.id, { amr: ['pwd'], acr: ACR.oneFactor, ts: signedInAt }))) return;
      // Not to a member with an authenticator app: a passkey made after a password alone would outrank the
      // app (phr) and could then remove it, which only a sign-in as strong as the app may do. Nor after a
      // password the emailed reset set: it proves only the inbox, which must not turn into a passkey. Never on a
      // shared kiosk (issue 21): a passkey belongs on the member's own device (the hand-off offers it on the phone).
      if (!risk.high && !inKioskMode(ctx) && form.webauthn === '1' && !passwordProvesMailbox(account) && (await deps.passkeyOffer.due(ctx, account.id))
        && !(await deps.totp.enrolled(account.id))) {
        // The sign-in completes on the offer page, whichever way the member answers it.
        deps.flow.write(ctx, details.uid, { passwordAccountId: account.id, passwordAt: signedInAt });
        return seeOther(ctx, `/interaction/${details.uid}/passkey/offer`);
      }
      const completed = await passwordLoginResult(ctx, deps, account.id, signedInAt, risk.high);
      if ('refused' in completed) return renderHookRefusal(ctx, deps, completed.refused);
      seeOther(ctx, completed.location);
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
