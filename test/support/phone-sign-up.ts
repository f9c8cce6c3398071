// Drives sign-up by mobile number (issue 21) like a member: "Use my mobile number instead", the number, the texted code.
import { followLink, openLoginPage, type UserAgent } from './member.ts';
import type { SmsSink } from './sms-sink.ts';
import type { Page } from './user-agent.ts';

/** From an authorization URL: "Create account", "Use my mobile number instead": the number page. */
export async function openPhoneSignUp(ua: UserAgent, authorizationUrl: string): Promise<Page> {
  const register = await followLink(ua, await openLoginPage(ua, authorizationUrl), '/register');
  return followLink(ua, register, '/register/phone');
}

/** From an authorization URL: the number page, the number (and any `extra` fields) sent; the code page. */
export async function requestPhoneSignUp(ua: UserAgent, authorizationUrl: string, phone: string, extra: Record<string, string> = {}): Promise<Page> {
  return ua.submit(await openPhoneSignUp(ua, authorizationUrl), '/register/phone', { phone, ...extra });
}

/** A whole sign-up by mobile number: returns the page the texted code led to (the client's redirect, or a prompt). */
export async function signUpByPhone(ua: UserAgent, sms: SmsSink, authorizationUrl: string, phone: string): Promise<Page> {
  const before = sms.countFor(phone);
  const codePage = await requestPhoneSignUp(ua, authorizationUrl, phone);
  if (!codePage.url.endsWith('/register/phone/verify')) throw new Error(`no code page after the number: ${codePage.status} ${codePage.url}\n${codePage.body.slice(0, 800)}`);
  return ua.submit(codePage, '/register/phone/verify', { code: await sms.waitForCode(phone, { after: before }) });
}
