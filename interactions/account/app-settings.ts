// The authenticator app on the account page: add (scan, confirm with a first code, see the recovery
// codes once), remove (with its recovery codes), or replace the recovery codes.
import type { Context } from 'koa';
import QRCode from 'qrcode';
import { z } from 'zod';
import { securityChanged } from '../../server/domain/accounts/account-emails.ts';
import { messageLanguage } from '../../server/i18n/request-language.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { CODE_SHAPE, codeField, field, parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';
import { notifyOwner } from './notify.ts';
import { sendRecoveryCodesFile } from '../shared/recovery-codes-file.ts';
import { csrfFor } from './security-page.ts';

const confirmForm = z.object({ factor: field(64), code: codeField });

export function appSettings(deps: InteractionDeps) {
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/security?notice=${notice}`);

  async function enrolPage(ctx: Context, factorId: string, error: string | null, status = 200) {
    const member = memberOf(ctx);
    const pending = await deps.totp.pendingEnrolment(member.account, factorId);
    if (!pending) return back(ctx, 'not_found');
    await renderPage(ctx, deps, 'mfa/app-enrol', {
      csrfToken: csrfFor(deps, member),
      action: '/account/app/confirm',
      hiddenFields: [{ name: 'factor', value: pending.factorId }],
      cancelUrl: '/account/security',
      qrSvg: await QRCode.toString(pending.uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }),
      manualKey: pending.manualKey,
      otpauthUri: pending.uri,
      error,
    }, status);
  }

  const codesPage = (ctx: Context, codes: string[]) =>
    renderPage(ctx, deps, 'mfa/recovery-codes', { csrfToken: csrfFor(deps, memberOf(ctx)), codes, doneUrl: '/account/security', downloadAction: '/account/recovery-codes.txt' });

  return {
    async start(ctx: Context) {
      const { account } = memberOf(ctx);
      // One app per account: replacing it means removing the old one first, on purpose.
      if (await deps.totp.enrolled(account.id)) return back(ctx, 'not_found');
      const pending = await deps.totp.startEnrolment(account);
      seeOther(ctx, `/account/app?factor=${encodeURIComponent(pending.factorId)}`);
    },

    show: (ctx: Context) => enrolPage(ctx, typeof ctx.query.factor === 'string' ? ctx.query.factor : '', null),

    async confirm(ctx: Context) {
      const { account } = memberOf(ctx);
      const form = parseForm(confirmForm, ctx.request.body);
      if (!form) return back(ctx, 'not_found');
      if (!CODE_SHAPE.test(form.code)) return enrolPage(ctx, form.factor, 'code.format', 400);
      const result = await deps.totp.confirmEnrolment(account, form.factor, form.code);
      if (!result.ok) return enrolPage(ctx, form.factor, result.reason, 400);
      await notifyOwner(deps, ctx, account.email ? securityChanged(account.email, { id: 'email.change.app_added' }, await messageLanguage()) : null, { type: 'factor.added', accountId: account.id, reason: 'totp' });
      // Rendered in this response and never stored in clear: the only time the codes exist outside a hash.
      await codesPage(ctx, result.recoveryCodes);
    },

    async remove(ctx: Context) {
      const { account } = memberOf(ctx);
      if (!(await deps.totp.remove(account.id))) return back(ctx, 'not_found');
      await notifyOwner(deps, ctx, account.email ? securityChanged(account.email, { id: 'email.change.app_removed' }, await messageLanguage()) : null, { type: 'factor.removed', accountId: account.id, reason: 'totp' });
      back(ctx, 'app_removed');
    },

    /** "Download" on the recovery-codes page: only the signed-in member's own unused codes come back. */
    downloadCodes: (ctx: Context) => sendRecoveryCodesFile(ctx, deps, memberOf(ctx).account),

    async regenerateCodes(ctx: Context) {
      const { account } = memberOf(ctx);
      if (!(await deps.totp.enrolled(account.id))) return back(ctx, 'not_found');
      const codes = await deps.totp.regenerateRecoveryCodes(account.id);
      await notifyOwner(deps, ctx, account.email ? securityChanged(account.email, { id: 'email.change.codes_regenerated' }, await messageLanguage()) : null, { type: 'factor.added', accountId: account.id, reason: 'recovery_codes' });
      await codesPage(ctx, codes);
    },
  };
}
