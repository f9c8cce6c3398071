// Signing in to the operator console (issue 20): an ordinary authorization request of the staff console client
// (response_type none, a fresh sign-in, two factors), then the console's own session for members with staff
// roles whose second factor was an authenticator app or a passkey. Everyone else gets a plain refusal page.
import type { Context } from 'koa';
import { ACR, acrRank, AMR, currentAmr } from '../../config/assurance.ts';
import { STAFF_CALLBACK_PATH, STAFF_CONSOLE_CLIENT_ID } from '../../config/staff-console-client.ts';
import type { StaffRepository } from '../../server/domain/staff/staff.repository.ts';
import { builtInClientSignIn } from '../shared/built-in-client-sign-in.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { endStaffSession, startStaffSession } from './staff-session.ts';

/** The second factors staff may use: an authenticator app or a passkey (never a texted code). */
const STAFF_DEVICE_FACTORS: readonly string[] = [AMR.app, AMR.hardwareKey, AMR.softwareKey];

export function consoleSignIn(deps: InteractionDeps, staff: Pick<StaffRepository, 'find'>, options: { issuer: string; secure: boolean }) {
  const client = builtInClientSignIn({ clientId: STAFF_CONSOLE_CLIENT_ID, callbackPath: STAFF_CALLBACK_PATH, stateCookie: 'console-state' }, options);

  const refuse = (ctx: Context, reason: 'not_staff' | 'weak_factor' | 'cancelled') =>
    renderPage(ctx, deps, 'console/signed-out', { reason, signOutForm: null }, reason === 'cancelled' ? 200 : 403);

  return {
    start(ctx: Context) {
      // Every console session starts with its own two-factor sign-in, not a member's single sign-on.
      client.redirectToAuthorization(ctx, { prompt: 'login', acr_values: ACR.twoFactors });
    },

    async callback(ctx: Context) {
      if (!client.returnedWithOwnState(ctx)) return refuse(ctx, 'cancelled');
      const session = await deps.provider.Session.get(ctx);
      const amr = currentAmr(session.amr);
      const loginTs = session.loginTs ?? 0;
      if (!session.accountId || acrRank(session.acr) < acrRank(ACR.twoFactors)) return refuse(ctx, 'cancelled');
      if (!amr.some((method) => STAFF_DEVICE_FACTORS.includes(method)) || amr.includes(AMR.sms)) return refuse(ctx, 'weak_factor');
      if (!await staff.find(session.accountId)) return refuse(ctx, 'not_staff');
      startStaffSession(ctx, options.secure, session.accountId, loginTs);
      seeOther(ctx, '/console');
    },

    signOut(ctx: Context) {
      endStaffSession(ctx, options.secure);
      seeOther(ctx, '/console/signed-out');
    },
  };
}
