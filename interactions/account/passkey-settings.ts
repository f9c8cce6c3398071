// Passkeys on the account page: add one (the ceremony in passkey.js), rename, remove. Adding and
// removing need a recent strong sign-in (the router checks); the last way in cannot be removed.
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Context } from 'koa';
import { z } from 'zod';
import { passkeyAdded, securityChanged } from '../../server/domain/accounts/account-emails.ts';
import { messageLanguage } from '../../server/i18n/request-language.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { parseForm } from '../shared/input.ts';
import { textField } from '../../server/domain/text.ts';
import { credentialFrom, jsonError, jsonOk } from '../shared/json.ts';
import { seeOther } from '../shared/page.ts';
import { memberOf } from './member-session.ts';
import { notifyOwner } from './notify.ts';

const NAME_MAX = 64;
/** The one free-text rule (server/domain/text.ts): a name shown on the security page and in security emails. */
const renameForm = z.object({ name: textField(NAME_MAX) });

export function passkeySettings(deps: InteractionDeps) {
  /** One ceremony per session: a second tab restarts it rather than running two. */
  const flowId = (ctx: Context) => `account:${memberOf(ctx).sessionId}`;
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/security?notice=${notice}`);

  return {
    async options(ctx: Context) {
      jsonOk(ctx, await deps.passkeys.registrationOptions(flowId(ctx), memberOf(ctx).account));
    },

    async create(ctx: Context) {
      const { account } = memberOf(ctx);
      const response = credentialFrom<RegistrationResponseJSON>(ctx.request.body);
      if (!response) return jsonError(ctx, 'passkey.invalid');
      const result = await deps.passkeys.verifyRegistration(flowId(ctx), account, response);
      if (!result.ok) return jsonError(ctx, result.reason);
      await notifyOwner(deps, ctx, account.email ? passkeyAdded(account.email, await messageLanguage()) : null, { type: 'factor.added', accountId: account.id, reason: 'passkey' });
      jsonOk(ctx, { location: '/account/security?notice=passkey_added' });
    },

    async rename(ctx: Context) {
      const form = parseForm(renameForm, ctx.request.body);
      if (!form) return back(ctx, 'passkey_name_invalid');
      const renamed = await deps.passkeys.rename(memberOf(ctx).account.id, String(ctx.params.id), form.name);
      back(ctx, renamed ? 'passkey_renamed' : 'not_found');
    },

    async remove(ctx: Context) {
      const { account } = memberOf(ctx);
      const passkeys = await deps.passkeys.list(account.id);
      const target = passkeys.find((p) => p.id === String(ctx.params.id));
      if (!target) return back(ctx, 'not_found');
      if (account.passwordHash === null && passkeys.length <= 1) return back(ctx, 'last_way_in');
      if (!(await deps.passkeys.remove(account.id, target.id))) return back(ctx, 'not_found');
      await notifyOwner(deps, ctx, account.email ? securityChanged(account.email, { id: 'email.change.passkey_removed', params: { name: target.name } }, await messageLanguage()) : null, { type: 'factor.removed', accountId: account.id, reason: 'passkey' });
      back(ctx, 'passkey_removed');
    },
  };
}
