// The operator's hooks on the hosted flows: pre-registration before an account is made, post-login before the
// login prompt completes (deny, step up through the risk step-up, or namespaced claims for this client's tokens).
import type { Context } from 'koa';
import { ACR, RISK_PENDING_ACR } from '../../config/assurance.ts';
import { messageFor } from '../../server/domain/hooks/hook-rules.ts';
import type { InteractionDeps, InteractionDetails } from './deps.ts';
import { translate } from '../../server/i18n/messages.ts';
import { languageOf } from '../../server/middleware/koa-language.ts';
import { pageLanguage, renderPage } from './page.ts';

/** Claims live as long as a refresh token (config/provider.ts ttl.RefreshToken): a refresh keeps them. */
const CLAIMS_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** A refusal shown to the member: the hook's own text in the page language, or the generic message id. */
export type HookRefusal = { text: string } | { messageId: 'hooks.denied.body' };

function clientIdOf(ctx: Context): string | null {
  const clientId = (ctx.state.interaction as InteractionDetails | undefined)?.params.client_id;
  return typeof clientId === 'string' ? clientId : null;
}

function ipCountry(ctx: Context, deps: InteractionDeps): string | null {
  return deps.hooks.countryOf(String(ctx.state.clientIp ?? ''));
}

async function refusal(ctx: Context, deps: InteractionDeps, message: Parameters<typeof messageFor>[0]): Promise<HookRefusal> {
  const text = messageFor(message, await pageLanguage(ctx, deps));
  return text ? { text } : { messageId: 'hooks.denied.body' };
}

/** Before an account is made: undefined to go on (with profile fields to add), or why not. */
export async function preRegistration(ctx: Context, deps: InteractionDeps, email: string): Promise<{ profile: Record<string, string> } | { refused: HookRefusal }> {
  if (!(await deps.hooks.enabled('pre-registration'))) return { profile: {} };
  const result = await deps.hooks.preRegistration({
    email,
    // The sign-up forms ask for no profile field yet (progressive profiling asks later); the key is kept for when they do.
    profile: {},
    client_id: clientIdOf(ctx),
    locale: await pageLanguage(ctx, deps),
    ip_country: ipCountry(ctx, deps),
  });
  if (result.decision === 'deny') return { refused: await refusal(ctx, deps, result.message) };
  return { profile: result.profile };
}

/** The login prompt's result, as the sign-in flows build it. */
export interface LoginResult {
  accountId: string;
  acr: string;
  amr: string[];
  ts: number;
}

/**
 * After a successful sign-in, before the interaction completes: the login to submit (acr lowered to
 * RISK_PENDING_ACR when the hook asks for a step-up, so the mfa prompt asks for a second factor as for a
 * risky sign-in), or the refusal to show. The hook's claims are kept for this member at this client.
 */
export async function postLogin(ctx: Context, deps: InteractionDeps, login: LoginResult, method: string): Promise<{ login: LoginResult; stepUp: boolean } | { refused: HookRefusal }> {
  if (!(await deps.hooks.enabled('post-login'))) return { login, stepUp: false };
  const clientId = clientIdOf(ctx);
  const account = await deps.accounts.findById(login.accountId);
  const result = await deps.hooks.postLogin({
    sub: login.accountId,
    email: account?.email ?? null,
    client_id: clientId,
    method,
    acr: login.acr,
    amr: login.amr,
    locale: await pageLanguage(ctx, deps),
    ip_country: ipCountry(ctx, deps),
  }, login.accountId);
  if (result.decision === 'deny') return { refused: await refusal(ctx, deps, result.message) };
  if (clientId) await deps.hooks.repository.saveClaims({ accountId: login.accountId, clientId, claims: result.claims, expiresAt: new Date(Date.now() + CLAIMS_TTL_MS) });
  // A sign-in that proved one factor owes a second; one that proved two (or a passkey) has stepped up already.
  const stepUp = result.decision === 'step_up' && login.acr === ACR.oneFactor;
  return { login: stepUp ? { ...login, acr: RISK_PENDING_ACR } : login, stepUp };
}

/** The page a refused sign-in ends on: the hook's message and a way back to the sign-in page. */
export async function renderHookRefusal(ctx: Context, deps: InteractionDeps, refused: HookRefusal): Promise<void> {
  const uid = String(ctx.params.uid ?? '');
  await renderPage(ctx, deps, 'hooks/denied', {
    hookMessage: 'text' in refused ? refused.text : null,
    messageId: 'text' in refused ? null : refused.messageId,
    backUrl: uid ? `/interaction/${uid}` : null,
  }, 403);
}

/** The same refusal for the pages' scripts (passkey ceremonies), which show `message` as it is. */
export function jsonHookRefusal(ctx: Context, refused: HookRefusal): void {
  ctx.status = 403;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'hooks.denied.body', message: 'text' in refused ? refused.text : translate(languageOf(ctx), refused.messageId) };
}
