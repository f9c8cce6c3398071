// "Where you are signed in" (issue 17 item 7): the member's sessions and known devices in words (browser and
// system from the user agent, country in the page language, first and last seen, this one marked), with
// "End this session" and "Forget this device" (both end the sessions concerned, revoke their partners'
// tokens and tell those partners by back channel).
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { countryName, describeUserAgent } from '../../server/sessions/describe-device.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { pageLanguage, renderPage, seeOther } from '../shared/page.ts';
import { recordChange } from '../shared/record-change.ts';
import { memberOf } from './member-session.ts';
import { csrfFor } from './security-page.ts';

const SESSION_UID = /^[A-Za-z0-9_-]{1,64}$/;
/** A device's id on the page is the HMAC the store keeps (base64url SHA-256): never the cookie itself. */
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;
const NOTICES = new Set(['session_ended', 'device_forgotten', 'not_found']);

export function sessionsPage(deps: InteractionDeps) {
  const back = (ctx: Context, notice: string) => seeOther(ctx, `/account/sessions?notice=${notice}`);

  return {
    async show(ctx: Context) {
      const member = memberOf(ctx);
      const language = await pageLanguage(ctx, deps);
      const deviceId = deps.deviceCookie.read(ctx);
      const [sessions, devices] = await Promise.all([
        deps.memberSessions.sessions(member.account.id, member.sessionId),
        deps.memberSessions.devices(member.account.id, deviceId ? deps.deviceCookie.hash(deviceId) : null),
      ]);
      const notice = typeof ctx.query.notice === 'string' && NOTICES.has(ctx.query.notice) ? `account.devices.notice.${ctx.query.notice}` : null;
      await renderPage(ctx, deps, 'account/sessions', {
        csrfToken: csrfFor(deps, member),
        notice,
        sessions: sessions.map((session) => ({
          uid: session.uid,
          current: session.current,
          ...describeUserAgent(session.userAgent),
          place: countryName(session.country, language),
          signedInAt: new Date(session.signedInAt),
          lastSeenAt: session.lastSeenAt === null ? null : new Date(session.lastSeenAt),
          partners: session.partners,
        })),
        devices: devices.map((device) => ({
          id: device.deviceHash,
          current: device.current,
          ...describeUserAgent(device.userAgent),
          place: countryName(device.lastCountry, language),
          firstSeenAt: device.firstSeenAt,
          lastSeenAt: device.lastSeenAt,
        })),
      });
    },

    async endSession(ctx: Context) {
      const { account, sessionId } = memberOf(ctx);
      const uid = String(ctx.params.uid ?? '');
      const current = (await deps.provider.Session.find(sessionId))?.uid;
      // This browser's own session is ended by "Sign out" (which says goodbye properly), not from the list.
      if (!SESSION_UID.test(uid) || uid === current) return back(ctx, 'not_found');
      if (!(await deps.memberSessions.endSession(account.id, uid))) return back(ctx, 'not_found');
      (ctx.state.log as Logger).info({ accountId: account.id }, 'one session ended by the member');
      back(ctx, 'session_ended');
    },

    async forgetDevice(ctx: Context) {
      const { account } = memberOf(ctx);
      const id = String(ctx.params.id ?? '');
      if (!DEVICE_ID.test(id) || !(await deps.memberSessions.forgetDevice(account.id, id))) return back(ctx, 'not_found');
      await recordChange(deps, ctx, { type: 'factor.removed', accountId: account.id, reason: 'device_forgotten' });
      // Forgetting this very browser ends its own session too: it signs in again, as a new device.
      back(ctx, 'device_forgotten');
    },
  };
}
