// "Download my data" and "Delete my account" on the account pages (GDPR art. 15/20 and 17): the export is built
// in the background and downloaded by its member only; deletion needs a recent strong sign-in and waits 14 days.
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { DomainError } from '../../server/domain/errors.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { hasRecentStrongSignIn, memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

export function privacySettings(deps: InteractionDeps) {
  return {
    async showExport(ctx: Context) {
      const member = memberOf(ctx);
      await renderPage(ctx, deps, 'account/export', { csrfToken: csrfFor(deps, member), email: member.account.email });
    },

    async requestExport(ctx: Context) {
      const { account } = memberOf(ctx);
      const id = await deps.exports.request(account.id);
      await deps.audit.record({ type: 'member.exported', accountId: account.id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: 'member', details: { export_id: id } });
      seeOther(ctx, '/account/security?notice=export_requested');
    },

    /** The link in the email: only the member it belongs to, signed in, gets it; anyone else gets 404. */
    async download(ctx: Context) {
      const { account } = memberOf(ctx);
      const stored = await deps.exports.find(String(ctx.params.id ?? ''), account.id);
      if (!stored) throw new DomainError('not_found', 'no such export');
      ctx.set('Cache-Control', 'no-store');
      if (stored.archive === null) {
        await renderPage(ctx, deps, 'account/export-pending', {}, 202);
        return;
      }
      ctx.type = 'application/json';
      ctx.set('Content-Disposition', `attachment; filename="my-data-${stored.createdAt.toISOString().slice(0, 10)}.json"`);
      ctx.body = stored.archive;
    },

    async showDelete(ctx: Context) {
      const member = memberOf(ctx);
      await renderPage(ctx, deps, 'account/delete', {
        csrfToken: csrfFor(deps, member),
        canChange: hasRecentStrongSignIn(member),
        reauthUrl: '/account/sign-in?reauth=1',
        scheduled: (await deps.erasure.scheduled(member.account.id))?.eraseAt ?? null,
      });
    },

    /** Behind requireRecentStrongSignIn: a stolen session alone cannot schedule the deletion. */
    async requestDelete(ctx: Context) {
      const { account } = memberOf(ctx);
      const outcome = await deps.erasure.request(account.id, { grace: 'default', by: 'member' });
      (ctx.state.log as Logger).info({ accountId: account.id, outcome: outcome.status }, 'account deletion requested by the member');
      seeOther(ctx, '/account/security?notice=deletion_scheduled');
    },

    async cancelDelete(ctx: Context) {
      await deps.erasure.cancel(memberOf(ctx).account.id);
      seeOther(ctx, '/account/security?notice=deletion_cancelled');
    },
  };
}
