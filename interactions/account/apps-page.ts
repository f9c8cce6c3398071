// "Apps and partners" (issue 17 item 2): each client or partner the member signed in to, what it receives in
// words, since when and when last used; "Stop sharing" behind a confirmation page (GET shows it, only the POST
// with the session's CSRF token and the entry's stamp changes anything).
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppEntry } from '../../server/domain/consent/app-sharing.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

/** `partner:<id>` or `client:<id>` (client ids are the admin's or a registration's, at most a few hundred characters). */
const APP_KEY = z.string().regex(/^(?:partner|client):[\x21-\x7e]{1,256}$/);
const stopForm = z.object({ app: APP_KEY, stamp: z.string().regex(/^[A-Za-z0-9_-]{22}$/) });
const NOTICES = new Set(['stopped', 'not_found']);

export function appsPage(deps: InteractionDeps) {
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/apps?notice=${notice}`);

  /** What the view shows of an entry: the logo through our own proxy (never the partner's URL). */
  async function view(entry: AppEntry) {
    return {
      key: entry.key,
      name: entry.name,
      stamp: entry.stamp,
      logo: entry.logoClient ? await deps.partnerLogos.urlFor(entry.logoClient) : null,
      scopes: entry.scopes,
      claims: entry.claims,
      since: entry.since,
      lastUsedAt: entry.lastUsedAt,
      partner: entry.partnerId !== null,
      firstParty: entry.firstParty,
    };
  }

  return {
    async show(ctx: Context) {
      const member = memberOf(ctx);
      const entries = await deps.appSharing.list(member.account.id);
      const notice = typeof ctx.query.notice === 'string' && NOTICES.has(ctx.query.notice) ? `account.apps.notice.${ctx.query.notice}` : null;
      await renderPage(ctx, deps, 'account/apps', { notice, apps: await Promise.all(entries.map(view)) });
    },

    async confirm(ctx: Context) {
      const member = memberOf(ctx);
      const key = APP_KEY.safeParse(ctx.query.app);
      const entry = key.success ? (await deps.appSharing.list(member.account.id)).find((candidate) => candidate.key === key.data) : undefined;
      if (!entry) return back(ctx, 'not_found');
      await renderPage(ctx, deps, 'account/apps-stop', { csrfToken: csrfFor(deps, member), app: await view(entry) });
    },

    async stop(ctx: Context) {
      const { account } = memberOf(ctx);
      const form = parseForm(stopForm, ctx.request.body);
      if (!form) return back(ctx, 'not_found');
      const outcome = await deps.appSharing.stopSharing(account.id, form.app, form.stamp);
      if (outcome.status !== 'stopped') return back(ctx, 'not_found');
      await deps.audit.record({
        type: 'grant.revoked',
        accountId: account.id,
        reason: 'member_stopped_sharing',
        ip: String(ctx.state.clientIp ?? '') || null,
        userAgent: ctx.get('user-agent').slice(0, 256) || null,
        details: { client_ids: outcome.entry.clientIds.join(' ').slice(0, 1000), partner_id: outcome.entry.partnerId },
      });
      (ctx.state.log as Logger).info({ accountId: account.id, partnerId: outcome.entry.partnerId }, 'member stopped sharing with a client');
      back(ctx, 'stopped');
    },
  };
}
