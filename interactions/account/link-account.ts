// "Link another" on the account page: the signed-in member goes to an upstream and what comes back is linked to them (issue 16).
import type { Context } from 'koa';
import { z } from 'zod';
import { connectionRedirectUri } from '../../server/admin/connection-handlers.ts';
import { oidcConnectionSettings } from '../../server/domain/connections/connection-settings.ts';
import type { StoredConnection } from '../../server/domain/connections/connections.repository.ts';
import { UpstreamSignInFailed } from '../../server/domain/connections/upstream-oidc.ts';
import { callbackAnswer, readState, STATE_MODEL, STATE_TTL_SECONDS, type StateRecord } from '../federation/handlers.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { seeOther } from '../shared/page.ts';
import { recordChange } from '../shared/record-change.ts';
import { memberOf } from './member-session.ts';

const startForm = z.object({ connection: z.string().min(1).max(100) });

/** Every connection (they are few), for the "Link another" buttons: the account page has no client to narrow them. */
export async function linkableConnections(deps: InteractionDeps): Promise<Array<{ id: string; name: string }>> {
  const found: StoredConnection[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await deps.federation.connections.list(after === undefined ? { limit: 100 } : { limit: 100, after });
    found.push(...page);
    if (page.length < 100) break;
    after = page.at(-1)!.id;
  }
  return found.filter((connection) => oidcConnectionSettings.safeParse(connection.settings).success).map(({ id, name }) => ({ id, name }));
}

export function accountLinking(deps: InteractionDeps) {
  const { federation } = deps;
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/security?notice=${notice}`);

  return {
    /**
     * POST /account/linked/start — runs after the recent-strong-sign-in guard: a new way in is added only by
     * whoever just proved the account. The state record is bound to this member and this session.
     */
    async start(ctx: Context) {
      const form = parseForm(startForm, ctx.request.body);
      const stored = form && await federation.connections.find(form.connection);
      const settings = stored && oidcConnectionSettings.safeParse(stored.settings);
      if (!stored || !settings?.success) return back(ctx, 'not_found');
      const member = memberOf(ctx);
      const { url, request } = await federation.upstream.begin(settings.data, connectionRedirectUri(federation.issuer, stored.id));
      const record: StateRecord = { connectionId: stored.id, nonce: request.nonce, codeVerifier: request.codeVerifier, link: { accountId: member.account.id, sessionId: member.sessionId } };
      await federation.oidcStore.upsert(STATE_MODEL, request.state, { ...record }, STATE_TTL_SECONDS);
      seeOther(ctx, url.href);
    },

    /**
     * GET /account/linked/callback/:id — the upstream's answer, after the member session loaded. The state must
     * be this member's and this session's, for this connection (a link started in another browser, or another
     * connection's answer, links nothing); single use.
     */
    async callback(ctx: Context) {
      const member = memberOf(ctx);
      const connectionId = String(ctx.params.id);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
      const record = await readState(federation, state);
      if (state && record) await federation.oidcStore.destroy(STATE_MODEL, state);
      const failed = (reason: string) => deps.audit.record({
        type: 'sign_in.failure', accountId: member.account.id, ip: ctx.ip, userAgent: ctx.get('user-agent'), reason: `link_${reason}`, details: { connection_id: connectionId.slice(0, 100) },
      });
      if (!record?.link || record.link.accountId !== member.account.id || record.link.sessionId !== member.sessionId || record.connectionId !== connectionId) {
        await failed('state_mismatch');
        return back(ctx, 'link_failed');
      }
      const stored = await federation.connections.find(connectionId);
      const settings = stored && oidcConnectionSettings.safeParse(stored.settings);
      if (!stored || !settings?.success) return back(ctx, 'link_failed');
      let identity;
      try {
        identity = await federation.upstream.finish(settings.data, connectionRedirectUri(federation.issuer, connectionId), callbackAnswer(settings.data, record, state!, ctx.querystring), { ...record, state: state! });
      } catch (error) {
        if (!(error instanceof UpstreamSignInFailed)) throw error;
        await failed(error.reason);
        return back(ctx, error.reason === 'cancelled' ? 'link_cancelled' : 'link_failed');
      }
      const result = await federation.signIn.linkToMember(member.account.id, { id: stored.id, settings: settings.data }, identity);
      if (result === 'taken') {
        await failed('taken');
        return back(ctx, 'link_taken');
      }
      if (result === 'linked') await recordChange(deps, ctx, { type: 'factor.added', accountId: member.account.id, reason: 'linked_account' });
      back(ctx, result === 'linked' ? 'link_added' : 'link_exists');
    },
  };
}
