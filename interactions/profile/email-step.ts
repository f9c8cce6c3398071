// The email prompt (issue 21): a phone-first member signing in to a client that requires an email adds one here,
// proven by a code to the address (EmailChangeService), then the policy goes on to the next prompt.
import type { Context } from 'koa';
import { maskEmail, maskEmailForSharedScreen } from '../../server/domain/accounts/email-address.ts';
import { DomainError } from '../../server/domain/errors.ts';
import type { Account } from '../../server/domain/accounts/account.ts';
import type { InteractionDeps, InteractionDetails } from '../shared/deps.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { inKioskMode } from '../shared/koa-kiosk-mode.ts';
import { clientName, renderPage, seeOther } from '../shared/page.ts';
import { forgotForm as emailForm } from '../recovery/input.ts';
import { verificationForm as codeForm } from '../verification/input.ts';

export function emailStepHandlers(deps: InteractionDeps) {
  async function member(ctx: Context): Promise<{ uid: string; account: Account }> {
    const details = ctx.state.interaction as InteractionDetails;
    const accountId = details.session?.accountId;
    const account = accountId ? await deps.accounts.findById(accountId) : undefined;
    if (!account) throw new DomainError('forbidden', 'no signed-in account for the email prompt');
    return { uid: details.uid, account };
  }

  /** Done: oidc-provider re-runs the policy, which asks again only if the account still has no email. */
  async function resume(ctx: Context) {
    seeOther(ctx, await deps.provider.interactionResult(ctx.req, ctx.res, { email: { at: Math.floor(Date.now() / 1000) } }, { mergeWithLastSubmission: true }));
  }

  const addressPage = (ctx: Context, uid: string, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'profile/email', { step: 'address', action: `/interaction/${uid}/email`, clientName: clientName(ctx), value, error }, status);

  // The address masked, and on a shared kiosk its domain too.
  const codePage = async (ctx: Context, uid: string, account: Account, error: string | null, info: string | null, status = 200) => {
    const pending = await deps.emailChange.pending(account);
    if (!pending) return seeOther(ctx, `/interaction/${uid}`);
    return renderPage(ctx, deps, 'profile/email', {
      step: 'code',
      action: `/interaction/${uid}/email/verify`,
      changeUrl: `/interaction/${uid}`,
      clientName: clientName(ctx),
      destination: inKioskMode(ctx) ? maskEmailForSharedScreen(pending) : maskEmail(pending),
      error,
      info,
    }, status);
  };

  return {
    async show(ctx: Context) {
      const { uid, account } = await member(ctx);
      if (account.email !== null) return resume(ctx);
      await addressPage(ctx, uid, '', null);
    },

    async submit(ctx: Context) {
      const { uid, account } = await member(ctx);
      if (account.email !== null) return resume(ctx);
      const form = parseForm(emailForm, ctx.request.body);
      if (!form) return addressPage(ctx, uid, '', 'email.invalid', 400);
      const started = await deps.emailChange.start(account, form.email);
      if (!started.ok) return addressPage(ctx, uid, form.email, started.reason, 400);
      await codePage(ctx, uid, account, null, started.retryAfterSeconds > 0 ? 'code.too_soon' : 'phone_first.email_sent');
    },

    async verify(ctx: Context) {
      const { uid, account } = await member(ctx);
      if (account.email !== null) return resume(ctx);
      const form = parseForm(codeForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, uid, account, 'code.format', null, 400);
      const result = await deps.emailChange.confirm(account, form.code);
      if (!result.ok) return codePage(ctx, uid, account, result.reason, null, 400);
      await resume(ctx);
    },
  };
}
