// Renders a hosted page with the locals every page needs (language, switcher, CSRF token, request id).
import type { Context } from 'koa';
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../../config/account-console-client.ts';
import { STAFF_CONSOLE_CLIENT_ID } from '../../config/staff-console-client.ts';
import { translate } from '../../server/i18n/messages.ts';
import { resolveLanguage, switchBase } from '../../server/middleware/koa-language.ts';
import { renderView } from '../../server/views/render.ts';
import type { InteractionDeps, InteractionDetails } from './deps.ts';
import { inKioskMode } from './koa-kiosk-mode.ts';

/** The page language of our routes (koa-language.ts), the member's saved locale included once known. */
export function pageLanguage(ctx: Context, deps: InteractionDeps): Promise<string> {
  return resolveLanguage(ctx, (accountId) => deps.profiles.locale(accountId));
}

/** The interaction's signed-in account, if any (its pages offer the saving language form). */
export function signedInAccountOf(interaction: InteractionDetails | undefined): string | undefined {
  const accountId = interaction?.session?.accountId;
  return typeof accountId === 'string' ? accountId : undefined;
}

export async function renderPage(ctx: Context, deps: InteractionDeps, view: string, locals: Record<string, unknown>, status = 200): Promise<void> {
  const uid = String(ctx.params.uid ?? '');
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  const member = ctx.state.member as { sessionId: string } | undefined;
  const signedIn = uid && signedInAccountOf(ctx.state.interaction as InteractionDetails | undefined);
  const lang = await pageLanguage(ctx, deps);
  // The account pages' own client is registered with an English client_name: members see the program's
  // name in their language instead ("Sign in to continue to Conta de fidelidade").
  const accountConsole = (ctx.state.client as { clientId?: string } | undefined)?.clientId === ACCOUNT_CONSOLE_CLIENT_ID;
  ctx.body = await renderView(view, {
    lang,
    switchBase: switchBase(ctx),
    // Signed in on the account pages: picking a language saves it (a POST, so the CSRF token of the session).
    // Likewise on interaction pages once signed in (the saved locale would outrank a cookie-only pick).
    languageForm: member && !uid
      ? { action: '/account/language', csrfToken: deps.csrf.tokenFor(`account\0${member.sessionId}`) }
      : signedIn ? { action: `/interaction/${uid}/language`, csrfToken: deps.csrf.tokenFor(uid) } : null,
    // The account pages' "Sign out" in the page header (a POST with the session's CSRF token).
    signOutForm: member && !uid ? { action: '/account/sign-out', csrfToken: deps.csrf.tokenFor(`account\0${member.sessionId}`) } : null,
    csrfToken: uid ? deps.csrf.tokenFor(uid) : '',
    // A kiosk client's pages (koa-kiosk-mode.ts): the shared-device notice, its countdown and end form.
    kiosk: uid && inKioskMode(ctx)
      ? { idleSeconds: deps.kiosk.idleSeconds, endAction: `/interaction/${uid}/abort`, csrfToken: deps.csrf.tokenFor(uid) }
      : null,
    requestId: ctx.state.requestId as string | undefined,
    ...locals,
    ...(accountConsole && 'clientName' in locals ? { clientName: translate(lang, 'common.site_name') } : {}),
    // Likewise the operator console's (issue 20): "Konsola operatora" on a Polish sign-in page.
    ...((ctx.state.client as { clientId?: string } | undefined)?.clientId === STAFF_CONSOLE_CLIENT_ID && 'clientName' in locals ? { clientName: translate(lang, 'console.title') } : {}),
  });
}

/** After a successful POST, go to the next page with 303 so a reload does not repeat the POST. */
export function seeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

export function clientName(ctx: Context): string {
  const details = ctx.state.interaction as { params: { client_id?: unknown } };
  const client = ctx.state.client as { clientName?: string; clientId: string } | undefined;
  return client?.clientName ?? String(details.params.client_id ?? '');
}
