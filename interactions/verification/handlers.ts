// Email verification with a 6-digit code; resend with a cooldown.
import type { Context } from 'koa';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { verificationForm } from './input.ts';
import { rememberLanguage } from '../shared/remember-language.ts';
import { requestNeedsTwoFactors, signInByMailbox } from '../shared/mailbox-sign-in.ts';
import { linkAfterVerification } from '../federation/handlers.ts';
import { recordSignUpConsents } from '../purposes/sign-up-choices.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { maskEmailForSharedScreen } from '../../server/domain/accounts/email-address.ts';
import { kioskFinishOnPhone } from '../../server/domain/accounts/account-emails.ts';
import { messageLanguage } from '../../server/i18n/request-language.ts';

export function verificationHandlers(deps: InteractionDeps) {
  const page = (ctx: Context, uid: string, email: string, error: string | null, info: string | null, status = 200) =>
    renderPage(ctx, deps, 'verification/verify', {
      action: `/interaction/${uid}/verify`,
      resendAction: `/interaction/${uid}/verify/resend`,
      // In full: the member just typed it, and a typo must be visible to be corrected ("Change email"). Masked on a
      // shared kiosk (issue 21), where the next person in the queue reads the screen; there the member also learns
      // that a link to finish on their phone follows.
      email: inKioskMode(ctx) ? maskEmailForSharedScreen(email) : email,
      finishOnPhone: inKioskMode(ctx),
      changeAction: `/interaction/${uid}/verify/change`,
      error,
      info,
      cooldownSeconds: 0,
    }, status);

  /** Without a pending sign-up in this interaction there is nothing to verify: back to sign-in. */
  function pending(ctx: Context) {
    const details = ctx.state.interaction as InteractionDetails;
    const flow = deps.flow.read(ctx, details.uid);
    if (!flow.accountId || !flow.email) {
      seeOther(ctx, `/interaction/${details.uid}`);
      return undefined;
    }
    return { uid: details.uid, accountId: flow.accountId, email: flow.email, info: flow.info ?? null, passkeySignup: flow.passkeySignup === true, federatedLink: flow.federatedLink, signUpConsents: flow.signUpConsents };
  }

  return {
    async show(ctx: Context) {
      const state = pending(ctx);
      if (state) await page(ctx, state.uid, state.email, null, state.info);
    },

    async submit(ctx: Context) {
      const state = pending(ctx);
      if (!state) return;
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) {
        await page(ctx, state.uid, state.email, 'code.format', null, 400);
        return;
      }
      const result = await deps.accounts.verifyEmail(state.accountId, form.code);
      if (!result.ok) {
        await page(ctx, state.uid, state.email, result.reason, null, 400);
        return;
      }
      await rememberLanguage(ctx, deps, result.account.id, 'sign_up');
      // Signed up on a shared kiosk (issue 21): the passkey and the rest of the profile are for the member's own
      // phone, by a link to the account page (a plain link: it signs nobody in, the phone signs in as usual).
      if (inKioskMode(ctx) && result.account.email) {
        await deps.mailer.send(kioskFinishOnPhone(result.account.email, new URL('/account/security', deps.provider.issuer).href, await messageLanguage()));
      }
      // The boxes ticked on the sign-up form (issue 17): recorded now that the address is the member's.
      await recordSignUpConsents(ctx, deps, result.account.id, state.signUpConsents);
      if (state.federatedLink) {
        // A sign-up through an upstream whose email we could not believe: proven now, so linked and signed in.
        const returnTo = await linkAfterVerification(ctx, deps, result.account.id, state.federatedLink);
        if (returnTo) return seeOther(ctx, returnTo);
        if (returnTo === null) return; // the operator's post-login hook refused it: its page is the answer
      }
      if (state.passkeySignup) {
        // The browser that proved the address is the member's: their first sign-in on it is no "new device".
        await deps.signIns.trustDevice(result.account.id, ctx.state.deviceHash as string | undefined);
        // Only now, with the address proven, may a credential be attached to the account.
        deps.flow.write(ctx, state.uid, { email: result.account.email ?? state.email, passkeySignup: true, verifiedAccountId: result.account.id });
        seeOther(ctx, `/interaction/${state.uid}/passkey/create`);
        return;
      }
      if (requestNeedsTwoFactors(ctx)) {
        // The partner asked for two factors. The code proved the mailbox; a password chosen a minute ago proves
        // nothing more, and mailbox + mailbox is one class, so signing in here would leave the member on a
        // step-up with no other way to offer. The sign-in page takes the password, then the step-up a code.
        await deps.signIns.trustDevice(result.account.id, ctx.state.deviceHash as string | undefined);
        deps.flow.write(ctx, state.uid, { email: result.account.email ?? state.email, info: 'login.info.verified' });
        seeOther(ctx, `/interaction/${state.uid}`);
        return;
      }
      // Signed in by the code just entered (no second password entry), which also trusts this browser.
      await signInByMailbox(ctx, deps, result.account.id, 'sign_up');
    },

    /** Back to the sign-up form with the address kept for editing (never the password); the pending code dies. */
    async change(ctx: Context) {
      const state = pending(ctx);
      if (!state) return;
      await deps.accounts.abandonVerification(state.accountId);
      deps.flow.write(ctx, state.uid, { email: state.email, passkeySignup: state.passkeySignup });
      seeOther(ctx, `/interaction/${state.uid}/register${state.passkeySignup ? '/passkey' : ''}`);
    },

    async resend(ctx: Context) {
      const state = pending(ctx);
      if (!state) return;
      const wait = await deps.accounts.resendVerificationCode(state.accountId);
      deps.flow.write(ctx, state.uid, { accountId: state.accountId, email: state.email, passkeySignup: state.passkeySignup, federatedLink: state.federatedLink, signUpConsents: state.signUpConsents, info: wait > 0 ? 'code.too_soon' : 'verify.resent' });
      seeOther(ctx, `/interaction/${state.uid}/verify`);
    },
  };
}
