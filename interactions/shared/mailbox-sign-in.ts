// Completes the login prompt for a member who just proved their mailbox by an emailed code (sign-up
// verification, password reset): one factor class, whatever password they chose alongside it.
import type { Context } from 'koa';
import { ACR, AMR } from '../../config/assurance.ts';
import type { InteractionDeps } from './deps.ts';
import { rememberLanguage } from './remember-language.ts';
import { seeOther } from './page.ts';

/**
 * A password set in the same breath as the code proves nothing the code did not (whoever reads the inbox
 * chose it), so the session says `email` and loa:1, never `pwd` or two factors. Like a code sign-in
 * (code-sign-in/handlers.ts) the browser that read the code becomes one of the member's devices; the
 * risk rules still meet every later password sign-in, and a risk-pending session is never made here.
 * It counts as a sign-in (progressive profiling: a sign-up is the member's first, as when they signed in
 * after it); the language of a sign-up was saved by the verification step already.
 */
export async function signInByMailbox(ctx: Context, deps: InteractionDeps, accountId: string, moment: 'sign_up' | 'password_reset'): Promise<void> {
  await deps.profiles.recordSignIn(accountId);
  if (moment === 'password_reset') await rememberLanguage(ctx, deps, accountId, 'sign_in');
  await deps.signIns.signedInWith(accountId, ctx.state.deviceHash as string | undefined, moment);
  const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, acr: ACR.oneFactor, amr: [AMR.email], remember: true, ts: Math.floor(Date.now() / 1000) },
  }, { mergeWithLastSubmission: false });
  seeOther(ctx, returnTo);
}
