// Drives the hosted pages over HTTP like a member would: sign up, verify the emailed code, sign in, consent.
import type { SmtpSink } from './smtp-sink.ts';
import { findForm, type Page, UserAgent } from './user-agent.ts';

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
export function uniqueEmail(prefix = 'member'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${Date.now()}.${counter}@example.com`;
}

/** From an authorization URL to the login page of the interaction it starts. */
export async function openLoginPage(ua: UserAgent, authorizationUrl: string): Promise<Page> {
  const page = await ua.follow(authorizationUrl);
  if (!page.url.includes('/interaction/')) throw new Error(`expected an interaction page, got ${page.status} ${page.url}\n${page.body.slice(0, 500)}`);
  return page;
}

/** Follows the link on `page` whose href ends with `suffix` (e.g. '/register', '/forgot'). */
export async function followLink(ua: UserAgent, page: Page, suffix: string): Promise<Page> {
  const href = [...page.body.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!).find((h) => h.endsWith(suffix));
  if (!href) throw new Error(`no link ending in ${suffix} on ${page.url}`);
  return ua.follow(new URL(href, page.url).href);
}

/**
 * Signs up and verifies the code from the SMTP sink, and returns the login page of `loginPage`'s
 * interaction, for tests about members who already have an account. A verified sign-up signs the member
 * in at once, which would end that interaction; so the sign-up runs in another tab of the same browser
 * (same device cookie), through the account pages' sign-in, and leaves `ua`'s own session untouched.
 * Tests of the sign-up itself walk it in `ua` (see registration.happy.test.ts).
 */
export async function signUpAndVerify(ua: UserAgent, loginPage: Page, sink: SmtpSink, email: string, password = PASSWORD): Promise<Page> {
  const before = sink.countFor(email);
  // The tab's pages speak the language of `loginPage` (ui_locales, the pick, Accept-Language), which the
  // verified sign-up saves as the member's locale.
  const lang = /<html lang="([^"]+)"/.exec(loginPage.body)?.[1];
  const tab = ua.clone(lang ? { 'accept-language': lang } : {});
  const registerPage = await followLink(tab, await openLoginPage(tab, '/account/sign-in?fresh=1'), '/register');
  const verifyPage = await tab.submit(registerPage, '/register', { email, password });
  if (!verifyPage.url.endsWith('/verify')) throw new Error(`sign-up did not reach verification: ${verifyPage.status}\n${verifyPage.body.slice(0, 800)}`);
  const code = await sink.waitForCode(email, { after: before });
  const afterVerify = await tab.submit(verifyPage, '/verify', { code });
  // Signed in: on the account page, or on a later prompt of that sign-in (profile fields) the tab leaves.
  if (afterVerify.status >= 400 || afterVerify.url.endsWith('/verify')) {
    throw new Error(`verification did not sign the member in: ${afterVerify.status} ${afterVerify.url}\n${afterVerify.body.slice(0, 800)}`);
  }
  // The tab's own session ends here (RP-initiated logout, as a member signing out): tests that count a member's
  // sessions or watch back-channel logouts then see only the sign-ins they make themselves.
  const confirm = await tab.follow('/session/end');
  if (confirm.body.includes('name="logout"')) await tab.submit(confirm, '/session/end/confirm', { logout: 'yes' });
  const again = await ua.follow(loginPage.url);
  if (again.status !== 200 || !again.body.includes('name="password"')) throw new Error(`no sign-in page again: ${again.status}\n${again.body.slice(0, 800)}`);
  return again;
}

/**
 * Signs in on a login page and follows the flow; when a consent page shows up, allows it.
 * Returns the final redirect (to the client's redirect_uri) or the page where it stopped.
 */
export async function signIn(ua: UserAgent, loginPage: Page, email: string, password = PASSWORD, options: { consent?: boolean } = {}): Promise<Page> {
  let page = await ua.submit(loginPage, '/login', { email, password });
  if (page.status === 200 && page.body.includes('/consent"') && options.consent !== false) {
    page = await ua.submit(page, '/consent', { decision: 'allow' });
  }
  return page;
}

export { findForm, UserAgent };

/**
 * Steps up by email and declines the authenticator-app offer that follows for members without one.
 * Returns where that led (the client's redirect_uri when all went well).
 */
export async function stepUpWithEmailCode(ua: UserAgent, mfaPage: Page, sink: SmtpSink, email: string): Promise<Page> {
  const page = await proveEmailCode(ua, mfaPage, sink, email);
  return page.status === 200 && page.body.includes('/mfa/enrol"') ? ua.submit(page, '/mfa/finish') : page;
}

/** On the step-up page: asks for a code, reads it from the SMTP sink and enters it. Returns where that led. */
export async function proveEmailCode(ua: UserAgent, mfaPage: Page, sink: SmtpSink, email: string): Promise<Page> {
  const before = sink.countFor(email);
  const codePage = await ua.submit(mfaPage, '/mfa/send');
  if (!codePage.body.includes('name="code"')) throw new Error(`no code form after sending: ${codePage.status}\n${codePage.body.slice(0, 800)}`);
  const code = await sink.waitForCode(email, { after: before });
  return ua.submit(codePage, '/mfa', { code });
}

/** True when `page` is the step-up page (it offers to send a code), not the password form. */
export function isStepUpPage(page: Page): boolean {
  return page.status === 200 && page.body.includes('/mfa/send"') && !page.body.includes('name="password"');
}

export interface AppEnrolment {
  /** The base32 key as shown on the page, for computing codes. */
  key: string;
  recoveryCodes: string[];
  /** Where "I have saved them" led (the client's redirect_uri). */
  done: Page;
}

/**
 * From the step-up page of a member without an app: proves the email code, accepts the offer, reads
 * the key from the page, confirms with `code(key)` and saves the recovery codes. The offer comes at most
 * once a month: when the member already saw it (an earlier step-up), the app is added where members add
 * it then, on the account page, with the two-factor sign-in the step-up just made.
 */
export async function enrolApp(ua: UserAgent, mfaPage: Page, sink: SmtpSink, email: string, code: (key: string) => string): Promise<AppEnrolment> {
  const offer = await proveEmailCode(ua, mfaPage, sink, email);
  if (!offer.body.includes('/mfa/enrol"')) {
    if (offer.status >= 400 || offer.url.includes('/interaction/')) throw new Error(`no app offer after the email code: ${offer.status}\n${offer.body.slice(0, 800)}`);
    const enrolPage = await ua.submit(await ua.follow('/account/security'), '/account/app');
    const codesPage = await ua.submit(enrolPage, '/account/app/confirm', { code: code(manualKeyOn(enrolPage)) });
    return { key: manualKeyOn(enrolPage), recoveryCodes: recoveryCodesOn(codesPage), done: offer };
  }
  const enrolPage = await ua.submit(offer, '/mfa/enrol');
  const key = manualKeyOn(enrolPage);
  const codesPage = await ua.submit(enrolPage, '/mfa/enrol/confirm', { code: code(key) });
  const done = await ua.submit(codesPage, '/mfa/finish');
  return { key, recoveryCodes: recoveryCodesOn(codesPage), done };
}

/** The base32 key an app-enrolment page shows for typing by hand. */
export function manualKeyOn(enrolPage: Page): string {
  const key = /id="manual-key">([A-Z2-7 ]+)</.exec(enrolPage.body)?.[1];
  if (!key) throw new Error(`no key on the enrolment page: ${enrolPage.status} ${enrolPage.url}\n${enrolPage.body.slice(0, 800)}`);
  return key;
}

/** The recovery codes a page shows (once, right after adding the app or making new ones). */
export function recoveryCodesOn(codesPage: Page): string[] {
  const codes = [...codesPage.body.matchAll(/<code>([A-Z0-9-]+)<\/code>/g)].map((m) => m[1]!);
  if (codes.length === 0) throw new Error(`no recovery codes on ${codesPage.status} ${codesPage.url}\n${codesPage.body.slice(0, 800)}`);
  return codes;
}
