// Setting a new password from the account page. Like a reset it signs the account out everywhere, this
// browser included, so the member signs in again with the new password (see AccountService.changePassword).
import type { Context } from 'koa';
import { z } from 'zod';
import { factorClasses } from '../../config/assurance.ts';
import { passwordProvesMailbox } from '../../server/domain/accounts/mailbox-password.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { passwordField, parseForm } from '../shared/input.ts';
import { renderPage } from '../shared/page.ts';
import { recordChange } from '../shared/record-change.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

const passwordForm = z.object({ password: passwordField });

export function passwordSettings(deps: InteractionDeps) {
  const formPage = (ctx: Context, error: string | null, status = 200) => {
    const member = memberOf(ctx);
    const { account } = member;
    return renderPage(ctx, deps, 'account/password', {
      csrfToken: csrfFor(deps, member),
      action: '/account/password',
      email: account.email,
      hasPassword: account.passwordHash !== null,
      error,
    }, status);
  };

  return {
    show: (ctx: Context) => formPage(ctx, null),

    async change(ctx: Context) {
      const body = ctx.request.body as { password?: unknown } | undefined;
      const form = parseForm(passwordForm, body);
      // Longer than the form field allows is still a password, just too long for the policy.
      if (!form) return formPage(ctx, typeof body?.password === 'string' ? 'password.too_long' : 'password.required', 400);
      if (form.password === '') return formPage(ctx, 'password.required', 400);
      const { account, amr } = memberOf(ctx);
      // A session that proved only the mailbox (a password from a reset, an emailed code) sets a password
      // that proves no more; one that proved a phone, a device or the member's own password sets theirs.
      const proven = factorClasses(amr, { passwordProvesMailbox: passwordProvesMailbox(account) });
      const mailboxOnly = [...proven].every((kind) => kind === 'mailbox');
      const result = await deps.accounts.changePassword(account.id, form.password, { mailboxOnly });
      if (!result.ok) return formPage(ctx, result.problem, 400);
      await recordChange(deps, ctx, { type: 'password.changed', accountId: account.id, reason: account.passwordHash ? 'changed' : 'set' });
      // Every session ended with the change, this one too: the page says so and offers the way back in.
      await renderPage(ctx, deps, 'account/password-changed', { signInUrl: '/account/sign-in?fresh=1' });
    },
  };
}
