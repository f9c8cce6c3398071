// The kiosk's hand-off page (issue 21 item 2): the kiosk app posts its pending device code here and shows the
// QR code and short code that take the member to their own phone. POST only: the device code, the kiosk's secret
// for collecting the tokens, never sits in a URL (history, logs) nor on the page a passer-by can photograph.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import QRCode from 'qrcode';
import { z } from 'zod';
import { DomainError } from '../../server/domain/errors.ts';
import { languageOf } from '../../server/middleware/koa-language.ts';
import { renderErrorPage } from '../../server/middleware/koa-error-handler.ts';
import { isKioskClient } from '../../server/oidc/kiosk-client.ts';
import { matchLanguage } from '../../server/i18n/negotiate.ts';
import { renderView } from '../../server/views/render.ts';

export const KIOSK_HANDOFF_PATH = '/kiosk/handoff';

const handOffForm = z.object({
  client_id: z.string().min(1).max(256),
  device_code: z.string().min(1).max(256),
  // The language picked on this page (its switcher posts the page again): never a cookie on a shared kiosk.
  lang: z.string().max(35).optional(),
});

/** The user code as the member reads and types it (oidc-provider stores it without the mask's dash). */
export function displayUserCode(stored: string, mask = '****-****'): string {
  let next = 0;
  const shown = mask.replace(/\*/g, () => stored[next++] ?? '');
  return next >= stored.length ? shown : stored;
}

export interface KioskHandOffDeps {
  provider: Provider;
  issuer: string;
}

export function kioskHandOffRouter(deps: KioskHandOffDeps): Router {
  const router = new Router();
  const parse = bodyParser({ enableTypes: ['form'], formLimit: '4kb', onError: () => {
    throw new DomainError('invalid_input', 'unreadable form body');
  } });

  router.post(KIOSK_HANDOFF_PATH, parse, async (ctx: Context) => {
    const form = handOffForm.safeParse(ctx.request.body);
    // One answer for every refusal (unknown, expired, approved, denied, another client's, not a kiosk's): a
    // prober learns nothing about which device codes exist.
    const refuse = () => renderErrorPage(ctx, 400, 'kiosk_handoff.error.invalid');
    if (!form.success) return refuse();
    const { client_id: clientId, device_code: deviceCode, lang } = form.data;
    const code = await deps.provider.DeviceCode.find(deviceCode);
    if (!code || code.isExpired || code.clientId !== clientId || code.accountId || code.error || code.consumed || !code.userCode) return refuse();
    const client = await deps.provider.Client.find(clientId);
    if (!client || !isKioskClient(client)) return refuse();

    const userCode = displayUserCode(code.userCode);
    const verificationUri = new URL('/device', deps.issuer).href;
    const complete = `${verificationUri}?user_code=${encodeURIComponent(userCode)}`;
    const picked = lang ? matchLanguage(lang) : undefined;
    const page = languageOf(ctx, { uiLocales: picked ?? (code.params as { ui_locales?: unknown } | undefined)?.ui_locales });
    ctx.status = 200;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await renderView('kiosk-handoff/handoff', {
      lang: page,
      // The switcher posts this page again with the picked language (the device code in a hidden field).
      languageForm: { action: KIOSK_HANDOFF_PATH, csrfToken: '', hiddenFields: [{ name: 'client_id', value: clientId }, { name: 'device_code', value: deviceCode }] },
      qrSvg: await QRCode.toString(complete, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }),
      userCode,
      verificationUri,
      minutesLeft: Math.max(1, Math.ceil(((code.exp ?? 0) - Date.now() / 1000) / 60)),
      requestId: ctx.state.requestId as string | undefined,
    });
    return undefined;
  });
  return router;
}
