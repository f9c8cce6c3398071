// Signing in to the operator console (issue 20): an ordinary authorization request of the staff console client
// (response_type none, a fresh sign-in, two factors), then the console's own session for members with staff
// roles whose second factor was an authenticator app or a passkey. Everyone else gets a plain refusal page.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { ACR, acrRank, AMR, currentAmr } from '../../config/assurance.ts';
import { STAFF_CALLBACK_PATH, STAFF_CONSOLE_CLIENT_ID } from '../../config/staff-console-client.ts';
import type { StaffRepository } from '../../server/domain/staff/staff.repository.ts';
import { constantTimeEqual } from '../../server/security/crypto.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { renderPage, seeOther } from '../shared/page.ts';
import { endStaffSession, startStaffSession } from './staff-session.ts';

const STATE_TTL_SECONDS = 60 * 60;
/** The second factors staff may use: an authenticator app or a passkey (never a texted code). */
const STAFF_DEVICE_FACTORS: readonly string[] = [AMR.app, AMR.hardwareKey, AMR.softwareKey];

export function consoleSignIn(deps: InteractionDeps, staff: Pick<StaffRepository, 'find'>, options: { issuer: string; secure: boolean }) {
  const cookieName = options.secure ? '__Host-console-state' : 'console-state';
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: options.secure, path: '/', signed: false, overwrite: true };

  const refuse = (ctx: Context, reason: 'not_staff' | 'weak_factor' | 'cancelled') =>
    renderPage(ctx, deps, 'console/signed-out', { reason, signOutForm: null }, reason === 'cancelled' ? 200 : 403);

  return {
    start(ctx: Context) {
      const state = randomBytes(24).toString('base64url');
      ctx.cookies.set(cookieName, state, { ...cookie, maxAge: STATE_TTL_SECONDS * 1000 });
      const url = new URL('/auth', options.issuer);
      url.search = new URLSearchParams({
        client_id: STAFF_CONSOLE_CLIENT_ID,
        response_type: 'none',
        redirect_uri: `${options.issuer}${STAFF_CALLBACK_PATH}`,
        scope: 'openid',
        state,
        // Every console session starts with its own two-factor sign-in, not a member's single sign-on.
        prompt: 'login',
        acr_values: ACR.twoFactors,
      }).toString();
      seeOther(ctx, url.pathname + url.search);
    },

    async callback(ctx: Context) {
      const expected = ctx.cookies.get(cookieName, { signed: false });
      ctx.cookies.set(cookieName, null, cookie);
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
      if (!expected || !state || !constantTimeEqual(state, expected) || typeof ctx.query.error === 'string') return refuse(ctx, 'cancelled');
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
