// Changing the account's email (issue 17 item 6): the new address (a code goes to it), the code, and the
// old address's "this was not me" link (GET shows a confirmation, the POST restores the old address).
import type { Context } from 'koa';
import { z } from 'zod';
import { maskEmail } from '../../server/domain/accounts/email-address.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { recordChange } from '../shared/record-change.ts';
import { CODE_SHAPE, emailField, field, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { verificationForm } from '../verification/input.ts';
import { wayBack } from '../../server/branding/way-back.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

const emailForm = z.object({ email: emailField });
const undoForm = z.object({ token: field(1024) });

/** The CSRF binding of the undo form: the link's token (whoever opens it may be signed out). */
export function undoCsrfBinding(ctx: Context): string {
  const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
  const token = ctx.method === 'POST' ? body.token : ctx.query.token;
  return `email-undo\0${typeof token === 'string' ? token : ''}`;
}

export function emailSettings(deps: InteractionDeps) {
  const addressPage = (ctx: Context, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'account/email', { csrfToken: csrfFor(deps, memberOf(ctx)), action: '/account/email', value, error }, status);

  async function codePage(ctx: Context, error: string | null, info: string | null, status = 200) {
    const pending = await deps.emailChange.pending(memberOf(ctx).account);
    if (!pending) return error ? addressPage(ctx, '', error, status) : seeOther(ctx, '/account/email');
    await renderPage(ctx, deps, 'account/email-code', {
      csrfToken: csrfFor(deps, memberOf(ctx)),
      action: '/account/email/verify',
      resendAction: '/account/email',
      resendValue: pending,
      destination: maskEmail(pending),
      error,
      info,
    }, status);
  }

  const undoPage = (ctx: Context, state: 'confirm' | 'done' | 'invalid' | 'unavailable', token: string, status = 200) =>
    renderPage(ctx, deps, 'account/email-undo', {
      state,
      token,
      undoCsrf: deps.csrf.tokenFor(`email-undo\0${token}`),
      signInUrl: '/account/sign-in?fresh=1',
      wayBack: wayBack(undefined),
    }, status);

  return {
    show: (ctx: Context) => addressPage(ctx, '', null),

    async start(ctx: Context) {
      const form = parseForm(emailForm, ctx.request.body);
      if (!form) return addressPage(ctx, '', 'email.invalid', 400);
      const started = await deps.emailChange.start(memberOf(ctx).account, form.email);
      if (!started.ok) return addressPage(ctx, form.email, started.reason, 400);
      seeOther(ctx, `/account/email/verify${started.retryAfterSeconds > 0 ? '?notice=too_soon' : ''}`);
    },

    showCode: (ctx: Context) => codePage(ctx, null, ctx.query.notice === 'too_soon' ? 'code.too_soon' : 'account.email.sent'),

    async confirm(ctx: Context) {
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, 'code.format', null, 400);
      const result = await deps.emailChange.confirm(memberOf(ctx).account, form.code);
      // The code is spent by now: an address taken meanwhile goes back to the address form, saying only that it cannot be used.
      if (!result.ok && result.reason === 'account.email.unavailable') return addressPage(ctx, '', 'account.email.unavailable', 409);
      if (!result.ok) return codePage(ctx, result.reason, null, 400);
      await recordChange(deps, ctx, { type: 'email.changed', accountId: result.account.id, reason: 'email_changed' });
      seeOther(ctx, '/account/security?notice=email_changed');
    },

    /** GET: a confirmation page only (mail scanners open links; nothing changes on GET). */
    async showUndo(ctx: Context) {
      const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
      if (!(await deps.emailChange.readUndo(token))) return undoPage(ctx, 'invalid', '', 400);
      await undoPage(ctx, 'confirm', token);
    },

    async undo(ctx: Context) {
      const form = parseForm(undoForm, ctx.request.body);
      const result = form ? await deps.emailChange.undo(form.token) : { ok: false as const, reason: 'invalid' as const };
      if (!result.ok) return undoPage(ctx, result.reason, '', result.reason === 'invalid' ? 400 : 409);
      await recordChange(deps, ctx, { type: 'email.changed', accountId: result.accountId, reason: 'email_restored' });
      await undoPage(ctx, 'done', '');
    },
  };
}
