// Kiosk hand-off (issue 21 item 2): a kiosk client's device grant, approved on the member's own phone, gives the
// kiosk tokens for that visit only: a short access token, no refresh token, and an amr that says "hand-off".
import type { AdapterPayload } from 'oidc-provider';
import type { AdapterConstructor } from '../../adapters/oidc-adapter.ts';
import { AMR } from '../../config/assurance.ts';
import { isKioskClient } from './kiosk-client.ts';

/** A visit at the kiosk, not a standing login: the kiosk's access token lives 5 minutes at most. */
export const HANDOFF_ACCESS_TOKEN_SECONDS = 5 * 60;

const DEVICE_CODE_GTY = 'device_code';

interface ClientLike {
  metadata(): object;
}

/**
 * Device flows of a kiosk client are hand-offs. oidc-provider keeps what deviceInfo answers with the device
 * code (the confirm page shows its `ua`); the mark rides there so the approval can be told apart when saved.
 */
export function handOffDeviceInfo(ctx: { ip: string; get(name: string): string; oidc: { client?: ClientLike } }): Record<string, unknown> {
  return { ip: ctx.ip, ua: ctx.get('user-agent'), ...(isKioskClient(ctx.oidc.client) ? { handoff: true } : {}) };
}

/** Whether a token comes from a kiosk hand-off: the device grant of a kiosk client. */
export function isHandOffToken(client: ClientLike | undefined, token: { gty?: string | undefined }): boolean {
  return token.gty === DEVICE_CODE_GTY && isKioskClient(client);
}

/** Whether a grant source (code, device code, refresh token) is a kiosk hand-off's device code. */
export function isHandOffSource(client: ClientLike | undefined, source: { kind?: string }): boolean {
  return source.kind === 'DeviceCode' && isKioskClient(client);
}

/**
 * How long a device code stays in the store past its expiry: oidc-provider still finds it (every use checks
 * the expiry itself), so a kiosk polling late hears expired_token (RFC 8628 section 3.5), not invalid_grant.
 */
export const DEVICE_CODE_GRACE_SECONDS = 10 * 60;

/**
 * The store under oidc-provider's device codes: the grace above, and the approved hand-off's amr gets "hand-off"
 * beside the methods the phone proved, in the same write that records the approval (oidc-provider copies the
 * phone session's amr into the device code and saves it; the kiosk's next poll may come at once), so no token of
 * a hand-off is ever issued without it. Only the device code is touched: the phone's own session keeps its amr.
 */
export function withHandOffDeviceCodes(Base: AdapterConstructor): AdapterConstructor {
  // Wrapped, not extended: the base constructor answers with another object (one adapter class per model).
  return class HandOffAdapter {
    constructor(name: string) {
      const inner = new Base(name);
      if (name !== 'DeviceCode') return inner;
      const upsert = inner.upsert.bind(inner);
      inner.upsert = (id: string, payload: AdapterPayload, expiresIn: number) =>
        upsert(id, markHandOff(payload), expiresIn > 0 ? expiresIn + DEVICE_CODE_GRACE_SECONDS : expiresIn);
      return inner;
    }
  } as unknown as AdapterConstructor;
}

function markHandOff(payload: AdapterPayload): AdapterPayload {
  const { deviceInfo, accountId, amr } = payload as { deviceInfo?: { handoff?: unknown }; accountId?: unknown; amr?: unknown };
  if (deviceInfo?.handoff !== true || typeof accountId !== 'string') return payload;
  const methods = Array.isArray(amr) ? (amr as unknown[]).filter((m): m is string => typeof m === 'string') : [];
  return methods.includes(AMR.handOff) ? payload : { ...payload, amr: [...methods, AMR.handOff] };
}
