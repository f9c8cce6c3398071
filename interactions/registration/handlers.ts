// Sign-up with email and password, or with email alone for a passkey; then on to email verification.
import type { Context } from 'koa';
import { connectionButtons } from '../federation/connection-buttons.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';
import type { EnrolmentChannel } from '../../server/domain/loyalty/loyalty.repository.ts';
import { ENROLMENT_CHANNELS } from '../../config/provider.ts';
import { passkeyRegistrationForm, registrationForm } from './input.ts';
import { preRegistration } from '../shared/hook-callouts.ts';
import { normaliseEmail } from '../../server/domain/accounts/email-address.ts';
import { signUpConsentsOf, signUpPurposeChoices, ticked } from '../purposes/sign-up-choices.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { clientMetadata } from '../../server/oidc/client-metadata.ts';

/** The channel the client signing the member up declares (client metadata), web by default. */
export function enrolmentChannel(ctx: Context): EnrolmentChannel {
  const client = ctx.state.client as { metadata(): { enrolment_channel?: unknown } } | undefined;
  const declared = client ? clientMetadata(client).enrolment_channel : undefined;
  return ENROLMENT_CHANNELS.find((channel) => channel === declared) ?? 'web';
}

type Variant = 'password' | 'passkey';

export function registrationHandlers(deps: InteractionDeps) {
  const page = async (ctx: Context, variant: Variant, email: string, errors: Record<string, string>, status = 200, challenge?: boolean, notice: string | null = null, hookMessage: string | null = null) => {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const withChallenge = challenge ?? (await deps.signUps.challengeExpected(String(ctx.state.clientIp)));
    return renderPage(ctx, deps, variant === 'password' ? 'registration/register' : 'registration/register-passkey', {
      action: variant === 'password' ? `/interaction/${uid}/register` : `/interaction/${uid}/register/passkey`,
      // A shared kiosk never creates a passkey (issue 21): the member adds one on their phone later.
      passkeyUrl: inKioskMode(ctx) ? null : `/interaction/${uid}/register/passkey`,
      passwordUrl: `/interaction/${uid}/register`,
      // Sign-up by mobile number (issue 21), where SMS is configured.
      phoneUrl: deps.phones.enabled ? `/interaction/${uid}/register/phone` : null,
      signInUrl: `/interaction/${uid}`,
      email,
      errors,
      notice,
      clientName: clientName(ctx),
      botChallenge: withChallenge ? deps.botChallenge.issue(uid) : null,
      hookMessage,
      connections: await connectionButtons(ctx, deps.federation.connections, uid),
      purposeChoices: await signUpPurposeChoices(ctx, deps, ticked(ctx)),
    }, status);
  };

  /** Both variants: same answer whether or not the email is taken (see AccountService.register). */
  async function submit(ctx: Context, variant: Variant) {
    const { uid } = ctx.state.interaction as InteractionDetails;
    const form = variant === 'password' ? parseForm(registrationForm, ctx.request.body) : parseForm(passkeyRegistrationForm, ctx.request.body);
    if (!form) return page(ctx, variant, '', { form: 'register.error.generic' }, 400);
    // The operator's pre-registration hook decides before anything is stored or sent.
    const hooked = await preRegistration(ctx, deps, normaliseEmail(form.email));
    if ('refused' in hooked) {
      const { refused } = hooked;
      return 'text' in refused ? page(ctx, variant, form.email, {}, 403, undefined, null, refused.text) : page(ctx, variant, form.email, { form: refused.messageId }, 403);
    }
    const result = await deps.accounts.register(form.email, form.password, enrolmentChannel(ctx));
    if (!result.ok) return page(ctx, variant, form.email, result.errors, 400);
    // Only on an account nobody has proven yet (a sign-up with a member's address must not write to that member),
    // and only into empty fields.
    if (Object.keys(hooked.profile).length && !(await deps.accounts.findById(result.accountId))?.emailVerified) {
      await deps.profiles.fillEmpty(result.accountId, hooked.profile);
    }
    deps.flow.write(ctx, uid, {
      accountId: result.accountId,
      email: result.email,
      // Passwordless: the passkey is created after the code, once the address is proven.
      passkeySignup: variant === 'passkey',
      info: result.retryAfterSeconds > 0 ? 'code.too_soon' : 'verify.sent',
      // Recorded once the address is proven (verification), never on the account of an address nobody proved.
      signUpConsents: signUpConsentsOf(deps, ticked(ctx)),
    });
    seeOther(ctx, `/interaction/${uid}/verify`);
  }

  /** The address typed before "Change email" on the verification page, kept for editing. */
  const typedEmail = (ctx: Context): string => deps.flow.read(ctx, (ctx.state.interaction as InteractionDetails).uid).email ?? '';

  /** On a kiosk the passwordless (passkey) sign-up is the password form: nothing stored, nothing sent. */
  const toPasswordForm = (ctx: Context) => seeOther(ctx, `/interaction/${(ctx.state.interaction as InteractionDetails).uid}/register`);

  /** The form again after the sign-up gate asked for the bot challenge (see koa-check-sign-up-gate.ts). */
  const variantOf = (ctx: Context): Variant => (ctx.path.endsWith('/passkey') ? 'passkey' : 'password');
  /** The bot check is a step, not a fault: a neutral notice, the address kept (never the password). */
  const challengePage = (ctx: Context, email: string, error: string | null, challenge: boolean, status: number) =>
    page(ctx, variantOf(ctx), email, error ? { form: error } : {}, status, challenge, challenge && !error ? 'bot_challenge.step_sign_up' : null);

  return {
    challengePage,
    show: (ctx: Context) => page(ctx, 'password', typedEmail(ctx), {}),
    submit: (ctx: Context) => submit(ctx, 'password'),
    showPasskey: (ctx: Context) => (inKioskMode(ctx) ? toPasswordForm(ctx) : page(ctx, 'passkey', typedEmail(ctx), {})),
    submitPasskey: (ctx: Context) => (inKioskMode(ctx) ? toPasswordForm(ctx) : submit(ctx, 'passkey')),
  };
}
