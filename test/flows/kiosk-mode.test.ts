// Kiosk mode (issue 15 item 6): a client with enrolment_channel kiosk is a shared in-store device. Its pages
// say so and count the idle time down; the member's sign-in there is a browser-session cookie whose server
// session ends with the flow (or after KIOSK_IDLE_SECONDS without a page); and the kiosk never becomes the
// member's known device. A web client's pages and sessions are unchanged.
import { signedInMember } from '../support/account.ts';
import { findForm, openLoginPage, PASSWORD, signIn, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const NOTICE = 'This is a shared device';

async function kioskClient(fx: MemberServer, extra: Record<string, unknown> = {}) {
  const client = await registerClient(fx.server, { first_party: true, enrolment_channel: 'kiosk', ...extra });
  return discover(fx.server, client);
}

/** Signs in on a login page step by step: the Set-Cookie of the resume step (the session cookie) and the end. */
async function signInRecordingSession(ua: UserAgent, loginPage: Page, email: string): Promise<{ sessionCookie: string | undefined; done: Page }> {
  const form = findForm(loginPage.body, '/login');
  const posted = await ua.request(new URL(form.action, loginPage.url).href, { form: { ...form.hidden, email, password: PASSWORD } });
  const resume = await ua.request(new URL(posted.headers.get('location')!, posted.url).href);
  const sessionCookie = resume.headers.getSetCookie().find((line) => line.startsWith('_session='));
  const next = new URL(resume.headers.get('location')!, resume.url).href;
  const done = next.startsWith(REDIRECT_URI) ? { ...resume, url: next } : await ua.follow(next);
  return { sessionCookie, done };
}

const uidOf = (page: Page) => /\/interaction\/([^/?"]+)/.exec(page.url)?.[1];

describe.each(STORES)('Kiosk mode (%s)', (store) => {
  const fx = useMemberServer(store);

  test('kiosk pages carry the shared-device notice, the kiosk class, the countdown and its script; a web client\'s do not', async () => {
    const kiosk = new UserAgent(fx.server.url);
    const page = await openLoginPage(kiosk, (await authorizationRequest(await kioskClient(fx))).url);
    expect(page.body).toContain('<body class="kiosk">');
    expect(page.body).toContain(NOTICE);
    expect(page.body).toContain('after 2 minutes without activity');
    expect(page.body).toMatch(/id="kiosk-countdown" role="timer" data-seconds="120">2:00</);
    expect(page.body).toContain('<script src="/static/kiosk.js" defer></script>');
    expect(page.body).toContain(`action="/interaction/${uidOf(page)}/abort" id="kiosk-end"`);
    expect(kiosk.cookie('device')).toBeUndefined();
    // The same page in Spanish.
    const spanish = await openLoginPage(new UserAgent(fx.server.url), (await authorizationRequest(await kioskClient(fx), { ui_locales: 'es' })).url);
    expect(spanish.body).toContain('Este es un dispositivo compartido');
    expect(spanish.body).toContain('tras 2 minutos sin actividad');

    const web = new UserAgent(fx.server.url);
    const webPage = await openLoginPage(web, (await authorizationRequest(fx.config)).url);
    expect(webPage.body).toContain('<body>');
    expect(webPage.body).not.toContain(NOTICE);
    expect(webPage.body).not.toContain('kiosk.js');
    expect(web.cookie('device')).toBeDefined();
  });

  test('each kiosk page moves the end of the flow and of the member\'s session to KIOSK_IDLE_SECONDS (and 5 s of grace for the countdown) from now', async () => {
    const { email } = await signedInMember(fx, 'kiosk-idle-window');
    // Not first-party: a consent page follows the sign-in, so the signed-in session lives on a kiosk page.
    const config = await kioskClient(fx, { first_party: false });
    const kiosk = new UserAgent(fx.server.url);
    const login = await openLoginPage(kiosk, (await authorizationRequest(config)).url);
    const { Interaction, Session } = fx.server.container.provider;
    const now = () => Math.floor(Date.now() / 1000);
    const loginInteraction = await Interaction.find(uidOf(login)!);
    expect(loginInteraction!.exp! - now()).toBeLessThanOrEqual(125);
    expect(loginInteraction!.exp! - now()).toBeGreaterThan(60);

    const consent = await kiosk.submit(login, '/login', { email, password: PASSWORD });
    expect(consent.body).toContain('/consent"');
    const interaction = await Interaction.find(uidOf(consent)!);
    expect(interaction!.exp! - now()).toBeLessThanOrEqual(125);
    const session = await Session.findByUid(interaction!.session!.uid!);
    expect(session!.transient).toBe(true);
    expect(session!.exp! - now()).toBeLessThanOrEqual(125);
    expect(session!.exp! - now()).toBeGreaterThan(60);
  });

  test('a kiosk sign-in is a browser-session cookie, and its session ends when the flow ends; the kiosk app still gets tokens', async () => {
    const { email, accountId } = await signedInMember(fx, 'kiosk-flow-end');
    const config = await kioskClient(fx);
    const kiosk = new UserAgent(fx.server.url);
    const request = await authorizationRequest(config);
    const { sessionCookie, done } = await signInRecordingSession(kiosk, await openLoginPage(kiosk, request.url), email);
    expect(sessionCookie).toBeDefined();
    expect(sessionCookie).not.toMatch(/expires=|max-age=/i);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(new URL(done.url).searchParams.get('code')).toBeTruthy();
    expect((await exchange(config, done.url, request)).claims()!.sub).toBe(accountId);

    // The next person at the kiosk: nobody is signed in any more.
    const silent = await kiosk.follow((await authorizationRequest(config, { prompt: 'none' })).url);
    expect(silent.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
    const next = await openLoginPage(kiosk, (await authorizationRequest(config)).url);
    expect(next.body).toContain('name="password"');
  });

  test('a web client\'s sign-in is unchanged: a persistent session cookie and a session that outlives the flow', async () => {
    const { email } = await signedInMember(fx, 'kiosk-web-unchanged');
    const web = new UserAgent(fx.server.url);
    const { sessionCookie, done } = await signInRecordingSession(web, await openLoginPage(web, (await authorizationRequest(fx.config)).url), email);
    expect(sessionCookie).toMatch(/expires=/i);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const silent = await web.follow((await authorizationRequest(fx.config, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
  });

  test('the kiosk never becomes the member\'s known device: a later sign-in there is still a new device', async () => {
    const { email, accountId } = await signedInMember(fx, 'kiosk-device');
    const devicesBefore = await fx.server.container.storage.devices.listByAccount(accountId, 50);
    const config = await kioskClient(fx);
    const kiosk = new UserAgent(fx.server.url);
    for (let visit = 0; visit < 2; visit += 1) {
      const done = await signIn(kiosk, await openLoginPage(kiosk, (await authorizationRequest(config)).url), email);
      expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    }
    expect(kiosk.cookie('device')).toBeUndefined();
    expect(await fx.server.container.storage.devices.listByAccount(accountId, 50)).toHaveLength(devicesBefore.length);
    const { events } = await fx.server.container.audit.list({ accountId, types: ['sign_in.success'], limit: 10 });
    const [latest, previous] = events;
    expect(latest?.details.signals).toContain('new-device');
    expect(previous?.details.signals).toContain('new-device');

    // A web browser the member signed in on is known the next time (its device cookie, a new session).
    const web = new UserAgent(fx.server.url);
    await signIn(web, await openLoginPage(web, (await authorizationRequest(fx.config)).url), email);
    const later = new UserAgent(fx.server.url);
    later.setCookie('device', web.cookie('device')!);
    expect((await signIn(later, await openLoginPage(later, (await authorizationRequest(fx.config)).url), email)).url.startsWith(REDIRECT_URI)).toBe(true);
    const { events: after } = await fx.server.container.audit.list({ accountId, types: ['sign_in.success'], limit: 1 });
    expect(after[0]?.details.signals ?? '').not.toContain('new-device');
  });

  test('the device flow of a kiosk client runs on the member\'s own phone: its pages are not in kiosk mode', async () => {
    const { email } = await signedInMember(fx, 'kiosk-device-flow');
    const client = await registerClient(fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', enrolment_channel: 'kiosk', client_name: 'Store Kiosk',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [],
    });
    const config = await discover(fx.server, client);
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email' });
    const phone = new UserAgent(fx.server.url);
    const confirm = await phone.submit(await phone.follow(device.verification_uri), '/device', { user_code: device.user_code });
    const login = await phone.submit(confirm, '/device', { confirm: 'yes' });
    expect(login.url).toContain('/interaction/');
    expect(login.body).not.toContain(NOTICE);
    expect(login.body).toContain('<body>');
    expect(phone.cookie('device')).toBeDefined();
    // The device-flow test polls the tokens (test/protocol/device-flow); here the phone's success page is enough.
    expect((await signIn(phone, login, email)).status).toBe(200);
  });

  test('"End my session now" ends the flow: back at the kiosk app with access_denied, nobody signed in', async () => {
    const { email } = await signedInMember(fx, 'kiosk-end-now');
    const config = await kioskClient(fx, { first_party: false });
    const kiosk = new UserAgent(fx.server.url);
    const consent = await kiosk.submit(await openLoginPage(kiosk, (await authorizationRequest(config)).url), '/login', { email, password: PASSWORD });
    expect(consent.body).toContain(NOTICE);
    const ended = await kiosk.submit(consent, '/abort');
    expect(ended.url.startsWith(REDIRECT_URI)).toBe(true);
    expect(new URL(ended.url).searchParams.get('error')).toBe('access_denied');
    const silent = await kiosk.follow((await authorizationRequest(config, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
  });
});

describe.each(STORES)('Kiosk mode: idle end (%s)', (store) => {
  // The idle clock is the store's expiry: a short KIOSK_IDLE_SECONDS, and a wait well past it.
  const fx = useMemberServer(store, { KIOSK_IDLE_SECONDS: '2' });

  test('after KIOSK_IDLE_SECONDS without a page the server has ended the flow: the password no longer signs in', async () => {
    const { email } = await signedInMember(fx, 'kiosk-idle');
    const kiosk = new UserAgent(fx.server.url);
    const login = await openLoginPage(kiosk, (await authorizationRequest(await kioskClient(fx))).url);
    expect(login.body).toMatch(/data-seconds="2">0:02</);
    // 2 s and the countdown's grace (1 s), then well past it.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const late = await kiosk.submit(login, '/login', { email, password: PASSWORD });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect(late.url.startsWith(REDIRECT_URI)).toBe(false);
    const silent = await kiosk.follow((await authorizationRequest(await kioskClient(fx), { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
  });
});
