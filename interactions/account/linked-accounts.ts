// Linked upstream accounts on the account-security page: listed, and removed (recent strong sign-in; never the last way in).
import type { Context } from 'koa';
import { z } from 'zod';
import type { InteractionDeps } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';
import { countWaysIn, waysIn } from './ways-in.ts';

const removeForm = z.object({ connection: z.string().min(1).max(100), subject: z.string().min(1).max(500) });

/** What the security page lists: each link with its connection's name (a deleted connection's links are not shown). */
export async function linkedAccountsOf(deps: InteractionDeps, accountId: string): Promise<Array<{ connectionId: string; subject: string; name: string; linkedAt: Date }>> {
  const links = await deps.federation.signIn.links(accountId);
  const shown = [];
  for (const link of links) {
    const connection = await deps.federation.connections.find(link.connectionId);
    if (connection) shown.push({ connectionId: link.connectionId, subject: link.subject, name: connection.name, linkedAt: link.linkedAt });
  }
  return shown;
}

export function linkedAccountSettings(deps: InteractionDeps) {
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/security?notice=${notice}`);
  return {
    /** POST /account/linked/remove — runs after the recent-strong-sign-in guard. */
    async remove(ctx: Context) {
      const form = parseForm(removeForm, ctx.request.body);
      if (!form) return back(ctx, 'not_found');
      const { account } = memberOf(ctx);
      const links = await deps.federation.signIn.links(account.id);
      if (!links.some((link) => link.connectionId === form.connection && link.subject === form.subject)) return back(ctx, 'not_found');
      // Ways in: the password, each passkey, the emailed code (a verified email), each linked account. Removing
      // the only one would lock the member out.
      if (countWaysIn(await waysIn(deps, account)) <= 1) return back(ctx, 'last_way_in');
      if (!(await deps.federation.signIn.unlink(account.id, form.connection, form.subject))) return back(ctx, 'not_found');
      await deps.audit.record({ type: 'factor.removed', accountId: account.id, reason: 'linked_account', ip: ctx.ip, userAgent: ctx.get('user-agent') });
      back(ctx, 'link_removed');
    },
  };
}
