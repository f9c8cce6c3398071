// The account page "Sessions and devices" and the access history (issue 17 item 7): a member sees where they
// are signed in, in words (browser and system, country in the page language, this one marked), ends another
// session or forgets a device (that browser is signed out, the partner it used gets a back-channel logout and
// its refresh token stops working), and reads their own sign-ins and changes of the last 90 days, paged.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { HISTORY_TYPES } from '../../interactions/account/access-history.ts';
import { accountCsrf, isSecurityPage, openSecurityPage } from '../support/account.ts';
import { GEO_IPS } from '../support/geo-ips.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../support/logout-receiver.ts';
import { isStepUpPage, openLoginPage, PASSWORD, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

describe.each(STORES)('sessions, devices and access history on the account pages (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', BACKCHANNEL_LOGOUT_RETRY_SECONDS: '0.05' }, { publicHost: 'localhost' });
  let receiver: LogoutReceiver;
  let partner: oidc.Configuration;

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    partner = await discover(fx.server, await registerClient(fx.server, { first_party: true, backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true }));
  });
  afterAll(() => {
    receiver?.server.close();
  });

  function browser(ip: string, userAgent: string, language = 'en'): UserAgent {
    return new UserAgent(fx.server.url, { 'x-forwarded-for': ip, 'user-agent': userAgent, 'accept-language': language });
  }

  /** Signs the browser in at the partner (single sign-on when it has a session), with a refresh token. */
  async function signInAtPartner(ua: UserAgent, email: string) {
    const request = await authorizationRequest(partner, { scope: 'openid email offline_access', prompt: 'consent' });
    let page = await ua.follow(request.url);
    if (!page.url.startsWith(REDIRECT_URI)) page = await signIn(ua, page, email);
    // France minutes after Britain: the impossible-travel rule asks the phone for an emailed code.
    if (isStepUpPage(page)) page = await stepUpWithEmailCode(ua, page, fx.sink, email);
    if (page.status === 200 && page.body.includes('/consent"')) page = await ua.submit(page, '/consent', { decision: 'allow' });
    if (!page.url.startsWith(REDIRECT_URI)) throw new Error(`partner sign-in: ${page.status} ${page.url}\n${page.body.slice(0, 1500)}`);
    const tokens = await exchange(partner, page.url, request);
    return { sid: tokens.claims()!.sid as string, refreshToken: tokens.refresh_token! };
  }

  /** A member with a Firefox on Windows in Britain (where they read the pages) and a Safari on an iPhone in France. */
  async function memberWithTwoBrowsers(prefix: string, language = 'en') {
    const email = uniqueEmail(prefix);
    const laptop = browser(GEO_IPS.GB, FIREFOX_WINDOWS, language);
    await signUpAndVerify(laptop, await openLoginPage(laptop, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const phone = browser(GEO_IPS.FR, SAFARI_IPHONE, language);
    const onLaptop = await signInAtPartner(laptop, email);
    const onPhone = await signInAtPartner(phone, email);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    await fx.server.container.deliveries.drain();
    return { email, accountId, laptop, phone, onLaptop, onPhone };
  }

  function items(body: string, attribute: 'data-session' | 'data-device'): Array<{ id: string; text: string }> {
    return [...body.matchAll(new RegExp(`<li class="settings-item" ${attribute}="([^"]+)">([\\s\\S]*?)</li>`, 'g'))]
      .map((match) => ({ id: match[1]!, text: match[2]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() }));
  }

  async function logoutSidsSince(before: number): Promise<unknown[]> {
    await fx.server.container.backchannelLogout.settled();
    const jwks = createRemoteJWKSet(new URL(partner.serverMetadata().jwks_uri!));
    const verified = await Promise.all(receiver.tokens.slice(before).map((token) => jwtVerify(token, jwks, { issuer: fx.server.url, audience: partner.clientMetadata().client_id })));
    return verified.map(({ payload }) => payload.sid);
  }

  async function refreshWorks(refreshToken: string): Promise<boolean> {
    try {
      await oidc.refreshTokenGrant(partner, refreshToken);
      return true;
    } catch {
      return false;
    }
  }

  test('lists both sessions and devices in words, this one marked, with the country in the page language', async () => {
    const { laptop } = await memberWithTwoBrowsers('devices-list', 'fr');
    const page = await laptop.follow('/account/sessions');
    expect(page.status).toBe(200);
    const sessions = items(page.body, 'data-session');
    expect(sessions).toHaveLength(2);
    expect(sessions[0]!.text).toContain('Firefox 128 sur Windows 10');
    expect(sessions[0]!.text).toContain('Ce navigateur');
    expect(sessions[0]!.text).toContain('Royaume-Uni');
    expect(sessions[0]!.text).toContain('Connecté à 1 site ou application partenaire');
    expect(sessions[1]!.text).toContain('Safari 17 sur iOS 17.1');
    expect(sessions[1]!.text).toContain('France');
    expect(sessions[1]!.text).not.toContain('Ce navigateur');
    // The current session has no "end" button (that is "Sign out"); the other one has.
    expect(page.body).not.toContain(`/account/sessions/${sessions[0]!.id}/end`);
    expect(page.body).toContain(`/account/sessions/${sessions[1]!.id}/end`);
    const devices = items(page.body, 'data-device');
    expect(devices.filter((device) => device.text.includes('Cet appareil')).map((device) => device.text.includes('Firefox'))).toEqual([true]);
    expect(devices).toHaveLength(2);
  });

  test('"End this session": that browser is signed out, its partner told by back channel, its refresh token dead', async () => {
    const { laptop, phone, onLaptop, onPhone } = await memberWithTwoBrowsers('devices-end');
    const page = await laptop.follow('/account/sessions');
    const other = items(page.body, 'data-session').find((session) => session.text.includes('Safari'))!;
    const before = receiver.tokens.length;
    const after = await laptop.follow(`/account/sessions/${other.id}/end`, { form: { csrf: accountCsrf(page) } });
    expect(after.url).toContain('/account/sessions?notice=session_ended');
    expect(items(after.body, 'data-session')).toHaveLength(1);
    expect(await logoutSidsSince(before)).toEqual([onPhone.sid]);
    expect(await refreshWorks(onPhone.refreshToken)).toBe(false);
    expect(await refreshWorks(onLaptop.refreshToken)).toBe(true);
    expect(isSecurityPage(await openSecurityPage(phone))).toBe(false);
    expect(isSecurityPage(await openSecurityPage(laptop))).toBe(true);
  });

  test('"Forget this device": its sessions end, its partner is told, its refresh token dies, and it leaves the list', async () => {
    const { laptop, phone, onLaptop, onPhone } = await memberWithTwoBrowsers('devices-forget');
    const page = await laptop.follow('/account/sessions');
    const iphone = items(page.body, 'data-device').find((device) => device.text.includes('iOS'))!;
    const before = receiver.tokens.length;
    const after = await laptop.follow(`/account/devices/${iphone.id}/forget`, { form: { csrf: accountCsrf(page) } });
    expect(after.url).toContain('/account/sessions?notice=device_forgotten');
    expect(items(after.body, 'data-device').map((device) => device.id)).not.toContain(iphone.id);
    expect(await logoutSidsSince(before)).toEqual([onPhone.sid]);
    expect(await refreshWorks(onPhone.refreshToken)).toBe(false);
    expect(await refreshWorks(onLaptop.refreshToken)).toBe(true);
    expect(isSecurityPage(await openSecurityPage(phone))).toBe(false);
  });

  test('another member\'s session or device cannot be ended, and a POST without the CSRF token changes nothing', async () => {
    const victim = await memberWithTwoBrowsers('devices-victim');
    const victimPage = await victim.laptop.follow('/account/sessions');
    const victimSession = items(victimPage.body, 'data-session').find((session) => session.text.includes('Safari'))!;
    const victimDevice = items(victimPage.body, 'data-device').find((device) => device.text.includes('iOS'))!;
    const other = await memberWithTwoBrowsers('devices-other');
    const page = await other.laptop.follow('/account/sessions');
    const csrf = accountCsrf(page);
    expect((await other.laptop.follow(`/account/sessions/${victimSession.id}/end`, { form: { csrf } })).url).toContain('notice=not_found');
    expect((await other.laptop.follow(`/account/devices/${victimDevice.id}/forget`, { form: { csrf } })).url).toContain('notice=not_found');
    const forged = await victim.laptop.request(`/account/sessions/${victimSession.id}/end`, { form: { csrf } });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(items((await victim.laptop.follow('/account/sessions')).body, 'data-session')).toHaveLength(2);
    expect(await refreshWorks(victim.onPhone.refreshToken)).toBe(true);
  });

  test('access history: sign-ins, failures and changes of the last 90 days in words, 20 a page, newest first', async () => {
    const { email, accountId, laptop } = await memberWithTwoBrowsers('devices-history');
    const wrong = browser(GEO_IPS.DE, FIREFOX_WINDOWS);
    await signIn(wrong, await openLoginPage(wrong, (await authorizationRequest(fx.config)).url), email, `${PASSWORD}-wrong`);
    const { audit } = fx.server.container;
    for (let i = 0; i < 22; i += 1) await audit.record({ type: 'redemption', accountId, at: new Date(Date.now() - (i + 1) * 3_600_000) });
    await audit.record({ type: 'password.changed', accountId, at: new Date(Date.now() - 100 * 86_400_000) });
    await audit.record({ type: 'sign_in.success', accountId: 'someone-else', reason: 'password' });

    const first = await laptop.follow('/account/history');
    expect(first.status).toBe(200);
    const rows = [...first.body.matchAll(/<li class="settings-item">([\s\S]*?)<\/li>/g)].map((match) => match[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    expect(rows).toHaveLength(20);
    expect(rows[0]).toContain('Failed sign-in');
    expect(rows[0]).toContain('Germany');
    expect(rows.filter((row) => row.startsWith('Signed in')).length).toBeGreaterThanOrEqual(2);
    expect(rows.some((row) => row.includes('United Kingdom') && row.includes('Firefox 128 on Windows 10'))).toBe(true);
    const older = /href="(\/account\/history\?before=[^"]+)"/.exec(first.body)?.[1];
    expect(older).toBeDefined();
    const second = await laptop.follow(older!.replace(/&amp;/g, '&'));
    const rest = [...second.body.matchAll(/<li class="settings-item">([\s\S]*?)<\/li>/g)].map((match) => match[1]!);
    // Everything of the last 90 days is on the two pages (the sign-ins, the phone's step-up, the failure, 22 redemptions); the
    // 100-day-old change on neither.
    const recent = (await audit.list({ accountId, types: [...HISTORY_TYPES], from: new Date(Date.now() - 90 * 86_400_000), limit: 100 })).events;
    expect(rows.length + rest.length).toBe(recent.length);
    expect(second.body).not.toContain('Password changed');
    // A cursor that is not ours gives the first page again, not an error.
    expect((await laptop.follow('/account/history?before=forged.cursor')).status).toBe(200);
  });
});
