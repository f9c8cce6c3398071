// Reaches every hosted page over HTTP as a member in some state would, per language, and keeps the HTML
// (with its CSP) so a real browser can replay it at its own URL: axe, reflow and input checks then run
// on exactly what a member gets, without driving the browser through each flow.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page as BrowserPage } from 'playwright-core';
import { hashPassword } from '../../server/domain/accounts/password-hasher.ts';
import { followLink, openLoginPage, PASSWORD, signIn, uniqueEmail, UserAgent } from './member.ts';
import { authorizationRequest, discover, oidc, REDIRECT_URI, registerClient } from './oidc-client.ts';
import { uniquePhone } from './phone.ts';
import { startSamlIdp } from './saml-idp.ts';
import type { MemberServer } from './suite.ts';
import { totpCode } from './totp.ts';
import type { Page } from './user-agent.ts';
import { operatorConsoleWalk } from './console-walk.ts';
import { emailCodeStep, LOA2, type Locale, mailCount, pastProfile, signedUpAt, type WalkKit } from './walk-kit.ts';

export { LOCALES, type Locale } from './walk-kit.ts';

/** Program fields asked at sign-up: every member's first sign-in then shows profile completion. */
export function profileFieldsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'a11y-profile-')), 'fields.json');
  writeFileSync(file, JSON.stringify([{ name: 'given_name', required: true, ask: { atSignUp: true } }, { name: 'family_name', ask: { atSignUp: true } }]));
  return file;
}

/**
 * The server settings the walks need on top of the usual test server: a trusted proxy (each walk its own
 * client address), a sign-up budget that asks for the bot check after three sign-ups from one address,
 * a low failed-sign-in budget per (email, address) for the "too many attempts" page, and profile fields.
 */
export function hostedPagesEnv(): Record<string, string> {
  return { TRUST_PROXY: 'true', SIGN_UPS_PER_IP_PER_HOUR: '30', SIGN_IN_PAIR_FAILURES: '3', PROFILE_FIELDS_FILE: profileFieldsFile(), BRANDING_FILE: brandingFile() };
}

/**
 * An operator's branding with a dark primary colour and white text (contrast 10.6:1), and footer links: axe
 * then checks the branded header, buttons and links, not only the default look.
 */
export function brandingFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'a11y-branding-')), 'branding.json');
  writeFileSync(file, JSON.stringify({
    program_name: { default: 'Acme Rewards', es: 'Acme Recompensas' },
    primary_colour: '#7a0019',
    primary_text_colour: '#ffffff',
    home_url: 'https://www.acme.example/',
    support_url: 'https://www.acme.example/help',
    privacy_url: 'https://www.acme.example/privacy',
    terms_url: 'https://www.acme.example/terms',
  }));
  return file;
}

export type Kept = Map<string, Page>;

let address = 0;
/** A distinct client address per browser: per-address budgets never mix walks. */
function nextAddress(): string {
  address += 1;
  return `198.51.${Math.floor(address / 250) % 250}.${(address % 250) + 1}`;
}

/** One saml connection per server to an IdP taking only HTTP-POST (its "Continue" page), made on first use. */
const samlPostConnections = new WeakMap<MemberServer, Promise<string>>();
function samlPostConnection(fx: MemberServer): Promise<string> {
  let made = samlPostConnections.get(fx);
  if (!made) {
    made = (async () => {
      const idp = await startSamlIdp('a11y-post', { postOnly: true });
      const response = await fetch(`${fx.server.url}/admin/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await fx.server.adminToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'saml', name: 'Acme Staff', metadata_xml: idp.metadataXml }),
      });
      if (response.status !== 201) throw new Error(`saml connection: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    })();
    samlPostConnections.set(fx, made);
  }
  return made;
}

/**
 * Each walk reaches some pages and keeps them by name. A new page is one `keep` line in a walk (and the
 * name in the list of the tests that check it).
 */
const WALKS: Record<string, (kit: WalkKit) => Promise<void>> = {
  async signUpAndSignIn(kit) {
    const ua = kit.browser();
    const login = kit.keep('sign-in', await openLoginPage(ua, await kit.authorize()));
    kit.keep('sign-in: wrong password', await ua.submit(login, '/login', { email: uniqueEmail('nobody'), password: 'not the password' }));
    const register = kit.keep('sign-up', await followLink(ua, login, '/register'));
    kit.keep('sign-up: errors', await ua.submit(register, '/register', { email: 'not-an-email', password: 'short' }));
    const email = uniqueEmail(`a11y-${kit.locale}`);
    const verify = kit.keep('verification', await ua.submit(register, '/register', { email, password: PASSWORD }));
    kit.keep('verification: wrong code', await ua.submit(verify, '/verify', { code: '000000' }));
    const forgot = kit.keep('reset: request', await followLink(ua, login, '/forgot'));
    kit.keep('reset: code and new password', await ua.submit(forgot, '/forgot', { email }));
    const code = kit.keep('code sign-in: request', await followLink(ua, login, '/code'));
    kit.keep('code sign-in: code', await ua.submit(code, '/code', { email }));
  },

  async passkeyOfferAndConsent(kit) {
    const partner = await registerClient(kit.fx.server, { client_name: 'Partner Shop' });
    const config = await discover(kit.fx.server, partner);
    const ua = kit.browser();
    const { email, login } = await signedUpAt(kit, ua, await openLoginPage(ua, await kit.authorize({}, config)));
    const offer = kit.keep('passkey offer', await ua.submit(login, '/login', { email, password: PASSWORD, webauthn: '1' }));
    kit.keep('consent', await pastProfile(ua, await ua.submit(offer, '/passkey/offer/skip')));
  },

  async secondFactors(kit) {
    const ua = kit.browser();
    const { email, login } = await signedUpAt(kit, ua, await openLoginPage(ua, await kit.authorize({ acr_values: LOA2 })));
    const before = await mailCount(kit, email);
    const mfa = kit.keep('second factor: email', await ua.submit(login, '/login', { email, password: PASSWORD }));
    const offer = kit.keep('app offer', await pastProfile(ua, await emailCodeStep(kit, ua, mfa, email, before, 'second factor: email code')));
    const enrol = kit.keep('app enrolment', await ua.submit(offer, '/mfa/enrol'));
    kit.keep('app enrolment: wrong code', await ua.submit(enrol, '/mfa/enrol/confirm', { code: '000000' }));
    const key = /id="manual-key">([A-Z2-7 ]+)</.exec(enrol.body)![1]!;
    const codes = kit.keep('recovery codes', await ua.submit(enrol, '/mfa/enrol/confirm', { code: totpCode(key) }));
    await ua.submit(codes, '/mfa/finish');
    // The next strong sign-in asks for the app first, with the other ways below it.
    const again = kit.browser();
    const app = kit.keep('second factor: app', await signIn(again, await openLoginPage(again, await kit.authorize({ acr_values: LOA2 })), email));
    kit.keep('second factor: recovery code', await again.submit(app, '/mfa/method', { method: 'recovery' }));
  },

  async profileCompletion(kit) {
    const ua = kit.browser();
    const { email, login } = await signedUpAt(kit, ua, await openLoginPage(ua, await kit.authorize({ scope: 'openid profile' })));
    const profile = kit.keep('profile completion', await signIn(ua, login, email));
    kit.keep('profile completion: errors', await ua.submit(profile, '/profile', { given_name: '' }));
  },

  async accountPages(kit) {
    const session = kit.browser();
    const { email, login } = await signedUpAt(kit, session, await openLoginPage(session, await kit.authorize()));
    const back = await pastProfile(session, await signIn(session, login, email));
    if (!back.url.startsWith(REDIRECT_URI)) throw new Error(`account walk: sign-in did not reach the client (${back.status} ${back.url})\n${back.body.slice(0, 1500)}`);
    kit.keep('account: security', await session.follow('/account/security'));
    // "Confirm it is you": password, then an emailed code (declining the app offer).
    const reauth = await session.follow('/account/sign-in?reauth=1');
    const before = await mailCount(kit, email);
    const mfa = await session.submit(reauth, '/login', { email, password: PASSWORD });
    const offer = await emailCodeStep(kit, session, mfa, email, before);
    const security = offer.body.includes('/mfa/enrol"') ? await session.submit(offer, '/mfa/finish') : offer;
    kit.keep('account: security (confirmed)', security);
    kit.keep('account: sessions and devices', await session.follow('/account/sessions'));
    kit.keep('account: access history', await session.follow('/account/history'));
    kit.keep('account: change email', await session.follow('/account/email'));
    kit.keep('account: download my data', await session.follow('/account/export'));
    kit.keep('account: privacy choices', await session.submit(await session.follow('/account/consents'), '/account/consents', { purpose: 'marketing_email', version: '1', granted: 'yes' }));
    kit.keep('account: delete my account', await session.follow('/account/delete'));
    // The client the walk signed in at is listed: its "Stop sharing" confirmation is kept too (never posted).
    const apps = kit.keep('account: apps and partners', await session.follow('/account/apps'));
    const stopLink = /href="(\/account\/apps\/stop\?app=[^"]+)"/.exec(apps.body)?.[1];
    if (!stopLink) throw new Error('account walk: no app listed on "Apps and partners"');
    kit.keep('account: stop sharing', await session.follow(stopLink));
    const password = kit.keep('account: password', await session.follow('/account/password'));
    kit.keep('account: password errors', await session.submit(password, '/account/password', { password: 'short' }));
    const phone = kit.keep('account: phone', await session.follow('/account/phone'));
    kit.keep('account: phone errors', await session.submit(phone, '/account/phone', { phone: '12' }));
    kit.keep('account: card', await session.follow('/account/card'));
    // "Merge another account" (issue 21): the form, its error, the code page, and the review of a proved account.
    const merge = kit.keep('account: merge', await session.follow('/account/merge'));
    kit.keep('account: merge errors', await session.submit(merge, '/account/merge', { account: 'not an account', method: 'password' }));
    kit.keep('account: merge code', await session.submit(merge, '/account/merge', { account: uniqueEmail('nobody'), method: 'code' }));
    const { storage, loyalty } = kit.fx.server.container;
    const other = await storage.accounts.create({ email: uniqueEmail('other'), emailVerified: true, passwordHash: await hashPassword(PASSWORD) });
    await loyalty.ensureMember(other.id);
    kit.keep('account: merge review', await session.submit(merge, '/account/merge', { account: other.email!, password: PASSWORD, method: 'password' }));
    const coupon = kit.keep('account: coupon', await session.follow('/account/coupon'));
    kit.keep('account: coupon errors', await session.submit(coupon, '/account/coupon', { code: 'NOPE-NOPE' }));
    kit.keep('account: password changed', await session.submit(password, '/account/password', { password: `${PASSWORD} again` }));
  },

  async deviceAndLogout(kit) {
    const kiosk = await registerClient(kit.fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', client_name: 'Store Kiosk',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], response_types: [], redirect_uris: [],
    });
    const kioskConfig = await discover(kit.fx.server, kiosk);
    const ua = kit.browser();
    const { email } = await signedUpAt(kit, ua, await openLoginPage(ua, await kit.authorize()));
    const device = await oidc.initiateDeviceAuthorization(kioskConfig, { scope: 'openid email' });
    const member = kit.browser();
    const input = kit.keep('device: code input', await member.follow(device.verification_uri));
    const wrong = kit.keep('device: wrong code', await member.submit(input, '/device', { user_code: 'BCDF-GHJK' }));
    const confirm = kit.keep('device: confirm', await member.submit(wrong, '/device', { user_code: device.user_code }));
    const login = await member.submit(confirm, '/device', { confirm: 'yes' });
    const consent = await pastProfile(member, await signIn(member, login, email, PASSWORD, { consent: false }));
    kit.keep('device: success', await member.submit(consent, '/consent', { decision: 'allow' }));
    const logout = kit.keep('logout: confirm', await member.follow('/session/end'));
    kit.keep('logout: signed out', await member.submit(logout, '/session/end/confirm', { logout: 'yes' }));
  },

  async protection(kit) {
    const ua = kit.browser();
    const login = await openLoginPage(ua, await kit.authorize());
    // Three sign-ups from one address: the fourth sign-up page carries the bot check.
    for (let i = 0; i < 3; i += 1) {
      const register = await followLink(ua, login, '/register');
      await ua.submit(register, '/register', { email: uniqueEmail('a11y-bot'), password: PASSWORD });
    }
    kit.keep('bot challenge', await followLink(ua, login, '/register'));
    // Issue 21: the number form after the gate asked for the check (its notice, the number kept; nothing texted).
    const phoneForm = await followLink(ua, await followLink(ua, login, '/register'), '/register/phone');
    kit.keep('sign-up by mobile: bot challenge', await ua.submit(phoneForm, '/register/phone', { phone: uniquePhone(), bot_solution: '', no_script: '' }));
    const target = uniqueEmail('a11y-blocked');
    let page = login;
    for (let i = 0; i < 4; i += 1) page = await ua.submit(await openLoginPage(ua, await kit.authorize()), '/login', { email: target, password: 'wrong password' });
    kit.keep('blocked', page);
  },

  async deadEnds(kit) {
    const ua = kit.browser();
    kit.keep('404', await ua.follow('/no-such-page'));
    kit.keep('home', await ua.follow('/'));
    kit.keep('error page', await ua.follow('/interaction/no-such-interaction'));
    kit.keep('unlock: invalid link', await ua.follow('/unlock/no-such-token'));
  },

  async samlPost(kit) {
    // "Continue with" a SAML IdP that takes the AuthnRequest only by HTTP-POST: the page that posts it.
    const connectionId = await samlPostConnection(kit.fx);
    const ua = kit.browser();
    kit.keep('saml: continue to the IdP', await ua.submit(await openLoginPage(ua, await kit.authorize()), `/connections/${connectionId}`));
  },

  async purposes(kit) {
    // Issue 17: a client that needs answers to purposes asks them after the sign-in (yes or no, neither preselected).
    const client = await discover(kit.fx.server, await registerClient(kit.fx.server, { first_party: true, required_purposes: ['marketing_email', 'partner_sharing'] }));
    const ua = kit.browser();
    const { email, login } = await signedUpAt(kit, ua, await openLoginPage(ua, await kit.authorize({}, client)));
    const asked = kit.keep('purposes prompt', await pastProfile(ua, await signIn(ua, login, email)));
    kit.keep('purposes prompt: errors', await ua.submit(asked, '/purposes'));
  },

  operatorConsole: operatorConsoleWalk,

  async phoneFirst(kit) {
    // Issue 21: sign-up by mobile number, and the account page of a member with no email ("Add an email").
    const ua = kit.browser();
    const phone = uniquePhone();
    const register = await followLink(ua, await openLoginPage(ua, await kit.authorize()), '/register');
    const form = kit.keep('sign-up by mobile', await followLink(ua, register, '/register/phone'));
    kit.keep('sign-up by mobile: errors', await ua.submit(form, '/register/phone', { phone: '12' }));
    const before = kit.fx.sms.countFor(phone);
    const code = kit.keep('sign-up by mobile: code', await ua.submit(form, '/register/phone', { phone }));
    kit.keep('sign-up by mobile: wrong code', await ua.submit(code, '/register/phone/verify', { code: '000000' }));
    await pastProfile(ua, await ua.submit(code, '/register/phone/verify', { code: await kit.fx.sms.waitForCode(phone, { after: before }) }));
    kit.keep('account: security (phone-first)', await ua.follow('/account/security'));
    // A client that requires an email: the email prompt, then its code page.
    const needsEmail = await discover(kit.fx.server, await registerClient(kit.fx.server, { first_party: true, required_claims: ['email'] }));
    const other = kit.browser();
    const otherPhone = uniquePhone();
    const otherRegister = await followLink(other, await openLoginPage(other, await kit.authorize({}, needsEmail)), '/register');
    const sent = kit.fx.sms.countFor(otherPhone);
    const otherCode = await other.submit(await followLink(other, otherRegister, '/register/phone'), '/register/phone', { phone: otherPhone });
    const prompt = kit.keep('email prompt', await other.submit(otherCode, '/register/phone/verify', { code: await kit.fx.sms.waitForCode(otherPhone, { after: sent }) }));
    kit.keep('email prompt: code', await other.submit(prompt, '/email', { email: uniqueEmail(`a11y-phone-${kit.locale}`) }));
  },

  async kiosk(kit) {
    // An in-store kiosk client: its pages carry the shared-device notice, the countdown and larger targets.
    const client = await registerClient(kit.fx.server, { first_party: true, enrolment_channel: 'kiosk' });
    const ua = kit.browser();
    const login = kit.keep('kiosk: sign-in', await openLoginPage(ua, await kit.authorize({}, await discover(kit.fx.server, client))));
    // Issue 21: sign-up on the kiosk (the address masked, the link to finish on the phone), and the hand-off page.
    const register = await followLink(ua, login, '/register');
    kit.keep('kiosk: verification', await ua.submit(register, '/register', { email: uniqueEmail(`a11y-kiosk-${kit.locale}`), password: PASSWORD }));
    // Enrolment by mobile on the kiosk: the number masked on the code page.
    kit.keep('kiosk: sign-up by mobile: code', await ua.submit(await followLink(ua, register, '/register/phone'), '/register/phone', { phone: uniquePhone() }));
    const app = await discover(kit.fx.server, await registerClient(kit.fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', enrolment_channel: 'kiosk', client_name: 'Store Kiosk',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [], scope: 'openid email',
    }));
    const device = await oidc.initiateDeviceAuthorization(app, { scope: 'openid email', ui_locales: kit.locale });
    kit.keep('kiosk: hand-off', await kit.browser().follow(`${kit.fx.server.url}/kiosk/handoff`, { form: { client_id: app.clientMetadata().client_id, device_code: device.device_code } }));
  },
};

function isHtml(page: Page): boolean {
  return /^<!DOCTYPE html>/i.test(page.body.trimStart());
}

/** Runs every walk (or those named) in `locale` and returns the kept pages by name. */
export async function reachHostedPages(fx: MemberServer, locale: Locale, walks: string[] = Object.keys(WALKS)): Promise<Kept> {
  const kept: Kept = new Map();
  const kit: WalkKit = {
    fx,
    locale,
    browser: () => new UserAgent(fx.server.url, { 'accept-language': locale, 'x-forwarded-for': nextAddress() }),
    keep(name, page) {
      if (page.status >= 300 && page.status < 400) throw new Error(`${name} (${locale}): a redirect to ${page.url}, not a page`);
      if (!isHtml(page)) throw new Error(`${name} (${locale}): not an HTML page (${page.status} ${page.url})\n${page.body.slice(0, 300)}`);
      kept.set(name, page);
      return page;
    },
    async authorize(params = {}, config = fx.config) {
      return (await authorizationRequest(config, { ui_locales: locale, ...params })).url;
    },
  };
  for (const [walk, run] of Object.entries(WALKS).filter(([name]) => walks.includes(name))) {
    try {
      await run(kit);
    } catch (error) {
      throw new Error(`walk ${walk} (${locale}) failed: ${(error as Error).message}`, { cause: error });
    }
  }
  await fx.server.container.deliveries.drain();
  return kept;
}

/**
 * Replays a kept page in the browser at its own URL (same origin, so the real CSS and scripts load) with
 * the headers it was served with.
 */
/** Browser pages already refusing non-GET requests (the route is added once per page). */
const staticPages = new WeakSet<BrowserPage>();

export async function replay(page: BrowserPage, kept: Page): Promise<void> {
  const url = kept.url.split('#')[0]!;
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'content-security-policy', 'content-language']) {
    const value = kept.headers.get(name);
    if (value) headers[name] = value;
  }
  await page.route(url, (route) => route.fulfill({ status: kept.status, headers, body: kept.body }), { times: 1 });
  // A replayed page is checked as it stands: the script that posts the step-up's "Send code" on arrival
  // (public/auto-send.js) is served empty, and any other form post is refused, so nothing navigates away
  // or replays the member's action mid-check.
  if (!staticPages.has(page)) {
    staticPages.add(page);
    await page.route('**/*', (route) => {
      if (route.request().method() !== 'GET') return route.abort();
      if (route.request().url().endsWith('/static/auto-send.js')) return route.fulfill({ status: 200, contentType: 'text/javascript', body: '' });
      return route.fallback();
    });
  }
  await page.goto(url, { waitUntil: 'load' });
}
