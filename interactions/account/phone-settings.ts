// The mobile phone on the account page: add one (a code to the new number proves it) or remove it.
import type { Context } from 'koa';
import { maskPhone } from '../../server/domain/accounts/phone-number.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { recordChange } from '../shared/record-change.ts';
import { CODE_SHAPE, parseForm } from '../shared/input.ts';
import { pageLanguage, renderPage, seeOther } from '../shared/page.ts';
import { phoneFieldLocals, phoneForm, postedCountry } from '../shared/phone-field.ts';
import { verificationForm } from '../verification/input.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

export function phoneSettings(deps: InteractionDeps) {
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/security?notice=${notice}`);

  const addPage = async (ctx: Context, value: string, error: string | null, status = 200) =>
    renderPage(ctx, deps, 'account/phone', {
      ...(await phoneFieldLocals(ctx, deps, postedCountry(ctx))), csrfToken: csrfFor(deps, memberOf(ctx)), action: '/account/phone', value, error,
    }, status);

  async function codePage(ctx: Context, error: string | null, info: string | null, status = 200) {
    const pending = await deps.phones.pending(memberOf(ctx).account);
    // No live code (expired, used): back to the number form, saying why when a code was refused.
    if (!pending) return error ? addPage(ctx, '', error, status) : seeOther(ctx, '/account/phone');
    await renderPage(ctx, deps, 'account/phone-code', {
      csrfToken: csrfFor(deps, memberOf(ctx)),
      action: '/account/phone/verify',
      resendAction: '/account/phone',
      resendValue: pending,
      destination: maskPhone(pending),
      error,
      info,
    }, status);
  }

  return {
    show: (ctx: Context) => (deps.phones.enabled ? addPage(ctx, '', null) : back(ctx, 'not_found')),

    async start(ctx: Context) {
      if (!deps.phones.enabled) return back(ctx, 'not_found');
      const form = parseForm(phoneForm, ctx.request.body);
      if (!form) return addPage(ctx, '', 'phone.invalid', 400);
      const country = form.country ?? deps.phones.preselected(await pageLanguage(ctx, deps), ctx.state.clientIp as string | undefined);
      const started = await deps.phones.startVerification(memberOf(ctx).account, form.phone, country);
      if (!started.ok) return addPage(ctx, form.phone, started.reason, 400);
      seeOther(ctx, `/account/phone/verify${started.retryAfterSeconds > 0 ? '?notice=too_soon' : ''}`);
    },

    showCode: (ctx: Context) => codePage(ctx, null, ctx.query.notice === 'too_soon' ? 'code.too_soon' : 'account.phone_sent'),

    async confirm(ctx: Context) {
      const form = parseForm(verificationForm, ctx.request.body);
      if (!form || !CODE_SHAPE.test(form.code)) return codePage(ctx, 'code.format', null, 400);
      const result = await deps.phones.confirm(memberOf(ctx).account, form.code);
      // The code is spent by now: a number another account holds goes back to the number form.
      if (!result.ok && result.reason === 'phone.taken') return addPage(ctx, '', result.reason, 409);
      if (!result.ok) return codePage(ctx, result.reason, null, 400);
      await recordChange(deps, ctx, { type: 'phone.changed', accountId: result.account.id, reason: 'phone_added' });
      back(ctx, 'phone_added');
    },

    async remove(ctx: Context) {
      const { account } = memberOf(ctx);
      if (!account.phone) return back(ctx, 'not_found');
      await deps.phones.remove(account);
      await recordChange(deps, ctx, { type: 'phone.changed', accountId: account.id, reason: 'phone_removed' });
      back(ctx, 'phone_removed');
    },
  };
}
