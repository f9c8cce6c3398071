// The pages oidc-provider renders itself (device flow, logout, protocol errors), drawn with our views.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { ACCOUNT_CONSOLE_CLIENT_ID } from '../../config/account-console-client.ts';
import { messageIdFor, requestClient } from '../middleware/koa-error-handler.ts';
import { languageOf, switchBase } from '../middleware/koa-language.ts';
import { renderView } from './render.ts';
import { wayBack } from '../branding/way-back.ts';

interface ProviderForm {
  formAction: string;
  hiddenFields: { name: string; value: string }[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
const unescape = (value: string) => value.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? m);

/**
 * oidc-provider hands its forms over as HTML (action + hidden xsrf fields). We take the action and the
 * hidden inputs out of it and render them in our own accessible template.
 */
export function parseProviderForm(html: string): ProviderForm {
  const formAction = unescape(/<form[^>]*\saction="([^"]*)"/.exec(html)?.[1] ?? '');
  const hiddenFields = [...html.matchAll(/<input\s+type="hidden"\s+name="([^"]+)"\s+value="([^"]*)"\s*\/?>/g)].map((m) => ({
    name: unescape(m[1] ?? ''),
    value: unescape(m[2] ?? ''),
  }));
  return { formAction, hiddenFields };
}

async function page(ctx: KoaContextWithOIDC, view: string, locals: Record<string, unknown>): Promise<void> {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = await renderView(view, {
    // ui_locales of the request oidc-provider is handling (an authorization or end-session request).
    lang: languageOf(ctx, { uiLocales: ctx.oidc?.params?.ui_locales }),
    switchBase: switchBase(ctx),
    requestId: ctx.state.requestId as string | undefined,
    ...locals,
  });
}

/** The partner's name; none for the account pages' own client (its English client_name is no partner's name). */
function clientNameOf(ctx: KoaContextWithOIDC): string | null {
  const client = ctx.oidc?.client;
  if (!client || client.clientId === ACCOUNT_CONSOLE_CLIENT_ID) return null;
  return client.clientName ?? client.clientId;
}

export const providerPages = {
  async userCodeInput(ctx: KoaContextWithOIDC, form: string, _out?: unknown, error?: Error & { userCode?: string }) {
    const parsed = parseProviderForm(form);
    let messageId: string | null = null;
    if (error) messageId = error.userCode || error.name === 'NoCodeError' ? 'device.error.invalid' : 'device.error.generic';
    await page(ctx, 'device/code-input', { ...parsed, error: messageId, userCode: '' });
  },

  async userCodeConfirm(ctx: KoaContextWithOIDC, form: string, client: { clientName?: string; clientId: string }, deviceInfo: unknown, userCode: string) {
    const info = deviceInfo as { ua?: string } | undefined;
    await page(ctx, 'device/code-confirm', {
      ...parseProviderForm(form),
      clientName: client.clientName ?? client.clientId,
      userCode,
      deviceInfo: info?.ua ?? null,
    });
  },

  async deviceSuccess(ctx: KoaContextWithOIDC) {
    await page(ctx, 'device/success', { clientName: clientNameOf(ctx) ?? '' });
  },

  async logoutConfirm(ctx: KoaContextWithOIDC, form: string) {
    await page(ctx, 'logout/confirm', { ...parseProviderForm(form), clientName: clientNameOf(ctx) });
  },

  async logoutSuccess(ctx: KoaContextWithOIDC) {
    await page(ctx, 'logout/success', { clientName: clientNameOf(ctx), wayBack: wayBack(ctx.oidc?.client) });
  },

  /** Protocol errors shown to the member (never redirected): a generic page, no error details. */
  async error(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: Error & { status?: number }) {
    const status = error.status ?? 400;
    ctx.status = status;
    await page(ctx, 'errors/error', { status, messageId: messageIdFor(status, { ...error, error: out.error }), wayBack: wayBack(requestClient(ctx)) });
  },
};
