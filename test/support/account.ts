// Drives the account pages like a member: open them (signing in through the provider when needed) and
// "Confirm it is you" (password, then a second factor) before changing how they sign in.
import type { SmtpSink } from './smtp-sink.ts';
import { PASSWORD, stepUpWithEmailCode, type UserAgent } from './member.ts';
import type { Page } from './user-agent.ts';

export const SECURITY_PATH = '/account/security';

/** Opens the security page; a browser with a session lands on it, one without lands on the sign-in page. */
export function openSecurityPage(ua: UserAgent): Promise<Page> {
  return ua.follow(SECURITY_PATH);
}

export function isSecurityPage(page: Page): boolean {
  return page.status === 200 && page.url.endsWith(SECURITY_PATH) && page.body.includes('/account/sessions/end-others');
}

/** Changes are offered (the recent strong sign-in banner is gone). */
export function canChange(page: Page): boolean {
  return isSecurityPage(page) && !page.body.includes('/account/sign-in?reauth=1');
}

/** The CSRF token the account pages carry (bound to this browser's session). */
export function accountCsrf(page: Page): string {
  const token = /(?:name="csrf" value|data-csrf)="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no CSRF token on ${page.status} ${page.url}\n${page.body.slice(0, 500)}`);
  return token;
}

/**
 * "Confirm it is you" from the security page: password on the sign-in page, then an emailed code
 * (declining the app offer). Returns the security page it ends on.
 */
export async function confirmItsYou(ua: UserAgent, sink: SmtpSink, email: string, password = PASSWORD): Promise<Page> {
  const login = await ua.follow('/account/sign-in?reauth=1');
  if (!login.body.includes('name="password"')) throw new Error(`no sign-in form for reauth: ${login.status} ${login.url}\n${login.body.slice(0, 800)}`);
  const mfa = await ua.submit(login, '/login', { email, password });
  const done = await stepUpWithEmailCode(ua, mfa, sink, email);
  if (!canChange(done)) throw new Error(`reauth did not end on a changeable security page: ${done.status} ${done.url}\n${done.body.slice(0, 800)}`);
  return done;
}
