// The mfa prompt: a signed-in member proves a second factor (a code to the verified email) to reach
// urn:loyalty:loa:2. The session, and so the account, comes from oidc-provider, never from the form.
import type { Context } from 'koa';
import { ACR } from '../../config/assurance.ts';
import { maskEmail } from '../../server/domain/accounts/email-address.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';
import { verificationForm } from '../verification/input.ts';

interface PageState {
  sent: boolean;
  error?: string | null;
  info?: string | null;
  cooldownSeconds?: number;
  unavailable?: boolean;
}

/** RFC 8176 methods after the step-up: what the session already had, plus the code and "several factors". */
function stepUpAmr(previous: unknown): string[] {
  const before = Array.isArray(previous) ? previous.filter((m): m is string => typeof m === 'string') : [];
  return [...new Set([...before, 'otp', 'mfa'])];
}

export function mfaHandlers(deps: InteractionDeps) {
  async function signedInAccount(ctx: Context): Promise<{ uid: string; account: Account; amr: unknown }> {
    const details = ctx.state.interaction as InteractionDetails;
    const accountId = details.session?.accountId;
    const account = accountId ? await deps.accounts.findById(accountId) : undefined;
    // The prompt only exists for a session with an account; one deleted meanwhile cannot step up.
    if (!account) throw new DomainError('forbidden', 'no signed-in account for this step-up');
    return { uid: details.uid, account, amr: details.session?.amr };
  }

  async function page(ctx: Context, uid: string, account: Account, state: PageState, status = 200) {
    await renderPage(ctx, deps, 'mfa/email-code', {
      action: `/interaction/${uid}/mfa`,
      sendAction: `/interaction/${uid}/mfa/send`,
      abortAction: `/interaction/${uid}/abort`,
      email: maskEmail(account.email),
      clientName: clientName(ctx),
      error: null,
      info: null,
      cooldownSeconds: 0,
      ...state,
    }, status);
  }

  return {
    async show(ctx: Context) {
      const { uid, account } = await signedInAccount(ctx);
      if (!deps.emailFactor.available(account)) {
        await page(ctx, uid, account, { sent: false, unavailable: true, info: 'mfa.unavailable' });
        return;
      }
      const flow = deps.flow.read(ctx, uid);
      await page(ctx, uid, account, { sent: flow.stepUpSent === true, info: flow.info ?? null });
    },

    /** A POST, not the page view, sends the code: no email goes out on a GET. */
    async send(ctx: Context) {
      const { uid, account } = await signedInAccount(ctx);
      if (!deps.emailFactor.available(account)) return seeOther(ctx, `/interaction/${uid}`);
      const wait = await deps.emailFactor.send(account);
      deps.flow.write(ctx, uid, { stepUpSent: true, info: wait > 0 ? 'code.too_soon' : 'mfa.sent' });
      seeOther(ctx, `/interaction/${uid}`);
    },

    async submit(ctx: Context) {
      const { uid, account, amr } = await signedInAccount(ctx);
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) {
        await page(ctx, uid, account, { sent: true, error: 'code.format' }, 400);
        return;
      }
      const check = await deps.emailFactor.verify(account, form.code);
      if (!check.ok) {
        await page(ctx, uid, account, { sent: true, error: check.reason }, 400);
        return;
      }
      // A new login result: oidc-provider records the stronger acr, the new amr and auth_time, and
      // gives the session a new id (session fixation defence on step-up).
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: account.id, acr: ACR.twoFactors, amr: stepUpAmr(amr), remember: true, ts: Math.floor(Date.now() / 1000) },
      }, { mergeWithLastSubmission: false });
      seeOther(ctx, returnTo);
    },
  };
}
