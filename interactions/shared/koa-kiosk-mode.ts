// kiosk-mode: on the interaction pages of a kiosk client (enrolment_channel kiosk, a shared in-store device),
// the flow and the member's session live only KIOSK_IDLE_SECONDS past the last page, the browser's device
// cookie is neither read nor set, and sign-ins are not remembered. The device flow's pages are excluded:
// there the member types the kiosk's code on their own phone.
import type { Context, Middleware } from 'koa';
import { isKioskClient, kioskServerIdleSeconds } from '../../server/oidc/kiosk-client.ts';
import { sharedDeviceHash } from '../../server/security/device-cookie.ts';
import type { InteractionDeps, InteractionDetails } from './deps.ts';

export function kioskMode(deps: InteractionDeps): Middleware {
  const device = deps.deviceCookie.middleware();
  return async (ctx, next) => {
    const interaction = ctx.state.interaction as InteractionDetails;
    if (interaction.deviceCode || !isKioskClient(ctx.state.client as Parameters<typeof isKioskClient>[0])) return device(ctx, next);
    ctx.state.kiosk = true;
    ctx.state.deviceHash = sharedDeviceHash();
    // Idle end enforced by the store, not the page: both records now expire KIOSK_IDLE_SECONDS (and the
    // countdown's grace) from this request (every read checks the expiry); each page moves that end again.
    const idle = kioskServerIdleSeconds(deps.kiosk.idleSeconds);
    await interaction.save(idle);
    const sessionUid = interaction.session?.uid;
    const session = sessionUid ? await deps.provider.Session.findByUid(sessionUid) : undefined;
    if (session) await session.save(idle);
    await next();
  };
}

/** Whether this request runs in kiosk mode (set by kioskMode). */
export function inKioskMode(ctx: Context): boolean {
  return ctx.state.kiosk === true;
}
