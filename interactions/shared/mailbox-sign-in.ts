// Completes the login prompt for a member who just proved their mailbox by an emailed code (sign-up
// verification, password reset): one factor class, whatever password they chose alongside it.
import type { Context } from 'koa';
import { ACR, AMR, acrRank, requiredRank } from '../../config/assurance.ts';
import type { InteractionDeps, InteractionDetails } from './deps.ts';
import { postLogin, renderHookRefusal } from './hook-callouts.ts';
import { inKioskMode } from './koa-kiosk-mode.ts';
import { rememberLanguage } from './remember-language.ts';
import { seeOther } from './page.ts';
import { clientMetadata } from '../../server/oidc/client-metadata.ts';

/** The acr the `claims` parameter asks for in the ID token, if any (a malformed parameter asks for nothing). */
function claimsAcr(claims: unknown): { value?: unknown; values?: unknown } | undefined {
  if (typeof claims !== 'string') return undefined;
  try {
    const acr = (JSON.parse(claims) as { id_token?: { acr?: unknown } } | null)?.id_token?.acr;
    return acr && typeof acr === 'object' ? acr : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether this authorization request needs two factor classes (acr_values, the claims parameter, the
 * client's require_mfa): the rule of config/interaction-policy.ts's stepUpTarget, read from the interaction.
 */
export function requestNeedsTwoFactors(ctx: Context): boolean {
  const { params } = ctx.state.interaction as InteractionDetails;
  const client = ctx.state.client as { metadata(): { require_mfa?: unknown } } | undefined;
  const needed = requiredRank({ acrValues: params.acr_values, claimsAcr: claimsAcr(params.claims), clientRequiresMfa: (client ? clientMetadata(client) : undefined)?.require_mfa === true });
  return needed >= acrRank(ACR.twoFactors);
}

/**
 * A password set in the same breath as the code proves nothing the code did not (whoever reads the inbox
 * chose it), so the session says `email` and loa:1, never `pwd` or two factors. Like a code sign-in
 * (code-sign-in/handlers.ts) the browser that read the code becomes one of the member's devices (not a
 * kiosk's), the operator's post-login hook runs, the risk rules still meet every later password sign-in,
 * and a risk-pending session is never made here. It counts as a sign-in (progressive profiling: a sign-up
 * is the member's first, as when they signed in after it); the language of a sign-up was saved by the
 * verification step already.
 */
export async function signInByMailbox(ctx: Context, deps: InteractionDeps, accountId: string, moment: 'sign_up' | 'password_reset'): Promise<void> {
  const hooked = await postLogin(ctx, deps, { accountId, acr: ACR.oneFactor, amr: [AMR.email], ts: Math.floor(Date.now() / 1000) }, `mailbox_${moment}`);
  if ('refused' in hooked) return renderHookRefusal(ctx, deps, hooked.refused);
  await deps.profiles.recordSignIn(accountId);
  if (moment === 'password_reset') await rememberLanguage(ctx, deps, accountId, 'sign_in');
  await deps.signIns.signedInWith(accountId, ctx.state.deviceHash as string | undefined, moment);
  const { login } = hooked;
  const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, acr: login.acr, amr: login.amr, remember: !inKioskMode(ctx), ts: login.ts },
  }, { mergeWithLastSubmission: false });
  seeOther(ctx, returnTo);
}
