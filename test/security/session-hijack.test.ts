// Threat: a stolen session cookie. Replayed from another browser (another device cookie) or from a place the
// member could not have travelled to since they last used it, the session is ended (whoever holds it signs in
// again) and the event is audited; the member's own browser, where they signed in, stays signed in. Sessions
// last from their sign-in: long on a device that had signed in before, short on one seen for the first time.
import { GEO_IPS } from '../support/geo-ips.ts';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, member, PASSWORD } from '../support/attack.ts';
import { isSecurityPage, openSecurityPage } from '../support/account.ts';
import { REDIRECT_URI } from '../support/oidc-client.ts';
import type { UserAgent } from '../support/user-agent.ts';

const SESSION_COOKIES = ['_session', '_session.sig'];

function copySession(from: UserAgent, to: UserAgent, extra: string[] = []): void {
  for (const name of [...SESSION_COOKIES, ...extra]) {
    const value = from.cookie(name);
    if (!value) throw new Error(`the owner's browser has no ${name} cookie`);
    to.setCookie(name, value);
  }
}

describe.each(STORES)('a session cookie used from elsewhere is ended (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', SESSION_TTL_KNOWN_DEVICE_DAYS: '30', SESSION_TTL_OTHER_HOURS: '12' });

  /** A member signed in on their own browser in Britain, on the account page. */
  async function signedInFrom(prefix: string, ip: string) {
    const { email, ua } = await member(fx, prefix, ip);
    const done = await attempt(fx, ua, email, PASSWORD);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(isSecurityPage(await openSecurityPage(ua))).toBe(true);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    return { email, ua, accountId };
  }

  async function hijackEvents(accountId: string) {
    return (await fx.server.container.audit.list({ accountId, types: ['session.hijack_suspected'], limit: 10 })).events;
  }

  test('replayed from another device cookie: signed out, audited, and the session is gone for its owner too', async () => {
    const owner = await signedInFrom('hijack-device', GEO_IPS.GB);
    const thief = browserFrom(fx, GEO_IPS.GB);
    copySession(owner.ua, thief);
    thief.setCookie('device', 'T'.repeat(22));
    const answer = await thief.request('/account/security');
    expect([answer.status, answer.headers.get('location')]).toEqual([303, '/account/sign-in']);
    expect(answer.body).not.toContain(owner.email);
    const events = await hijackEvents(owner.accountId);
    expect(events.map((event) => [event.reason, event.country])).toEqual([['device_mismatch', 'GB']]);
    // The cookie was a bearer: the session it named no longer exists, so its owner signs in again.
    expect(await fx.server.container.storage.oidc.findByAccountId('Session', owner.accountId)).toEqual([]);
    expect(isSecurityPage(await openSecurityPage(owner.ua))).toBe(false);
  });

  test('replayed without any device cookie: signed out too', async () => {
    const owner = await signedInFrom('hijack-nodevice', GEO_IPS.GB);
    const thief = browserFrom(fx, GEO_IPS.GB);
    copySession(owner.ua, thief);
    const answer = await thief.request('/account/security');
    expect([answer.status, answer.headers.get('location')]).toEqual([303, '/account/sign-in']);
    expect((await hijackEvents(owner.accountId)).map((event) => event.reason)).toEqual(['device_mismatch']);
  });

  test('from an impossible-travel place (Britain, then Japan minutes later), even with the device cookie: signed out', async () => {
    const owner = await signedInFrom('hijack-travel', GEO_IPS.GB);
    const thief = browserFrom(fx, GEO_IPS.JP);
    copySession(owner.ua, thief, ['device']);
    const answer = await thief.request('/account/security');
    expect([answer.status, answer.headers.get('location')]).toEqual([303, '/account/sign-in']);
    const events = await hijackEvents(owner.accountId);
    expect(events.map((event) => [event.reason, event.country])).toEqual([['impossible_travel', 'JP']]);
  });

  test('the same browser stays signed in, also from another address and after a flight-long pause', async () => {
    const owner = await signedInFrom('hijack-none', GEO_IPS.FR);
    for (let i = 0; i < 3; i += 1) expect(isSecurityPage(await openSecurityPage(owner.ua))).toBe(true);
    // The same browser (its cookies) on another network in the same country: a phone leaving the Wi-Fi.
    const sameDevice = browserFrom(fx, '212.27.48.11');
    copySession(owner.ua, sameDevice, ['device']);
    expect(isSecurityPage(await openSecurityPage(sameDevice))).toBe(true);
    // Paris to Frankfurt in a day is a journey, not a theft: last seen a day ago, the session stays.
    // (Every binding of the member: the sign-up's own session is one too, since verifying signs in.)
    for (const binding of await fx.server.container.sessionBindings.listByAccount(owner.accountId)) {
      await fx.server.container.sessionBindings.save({ ...binding, lastSeenAt: Date.now() - 86_400_000 }, 3600);
    }
    const travelled = browserFrom(fx, GEO_IPS.DE);
    copySession(owner.ua, travelled, ['device']);
    expect(isSecurityPage(await openSecurityPage(travelled))).toBe(true);
    expect(await hijackEvents(owner.accountId)).toEqual([]);
  });

  test('a session lasts 12 hours from a first sign-in on a device, 30 days from a later one on it', async () => {
    const { email, ua } = await member(fx, 'lifetime', GEO_IPS.GB);
    // Interactions start in whole seconds: the next one must begin after the second the sign-up saw the device in.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    const lifetime = async () => {
      const [session] = await fx.server.container.storage.oidc.findByAccountId('Session', accountId);
      const { exp, loginTs } = session!.payload as { exp: number; loginTs: number };
      return exp - loginTs;
    };
    // A new browser: its first sign-in.
    const other = browserFrom(fx, GEO_IPS.GB);
    expect((await attempt(fx, other, email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
    expect(Math.abs((await lifetime()) - 12 * 3600)).toBeLessThanOrEqual(5);
    await fx.server.container.storage.oidc.destroyByAccountId('Session', accountId);
    // The browser the member signed up on had signed in before this sign-in began.
    expect((await attempt(fx, ua, email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
    expect(Math.abs((await lifetime()) - 30 * 86_400)).toBeLessThanOrEqual(5);
  });
});
