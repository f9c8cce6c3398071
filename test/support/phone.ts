// Drives the SMS pages like a member with a mobile: add a number on the account page, ask for a sign-in
// code by text, step up with a texted code. Codes are read from the SMS sink, as members read texts.
import { confirmedMember } from './account.ts';
import { followLink, openLoginPage, type UserAgent } from './member.ts';
import type { SmsSink } from './sms-sink.ts';
import type { MemberServer } from './suite.ts';
import type { Page } from './user-agent.ts';

type Fixture = Pick<MemberServer, 'sink' | 'sms' | 'server' | 'config'>;

let counter = 0;
/**
 * A valid GB mobile number (+44 7911 2xxxxx), new on each call: a number belongs to one account. The
 * 07700 900xxx range reserved for fiction is no use: the server refuses it as not a real number.
 */
export function uniquePhone(): string {
  counter += 1;
  return `+4479112${String((process.pid * 131 + counter) % 100_000).padStart(5, '0')}`;
}

/** "Add a mobile number" on the account page (needs a recent strong sign-in): the number form's answer. */
export async function submitPhoneOnAccount(ua: UserAgent, phone: string): Promise<Page> {
  return ua.submit(await ua.follow('/account/phone'), '/account/phone', { phone });
}

/**
 * Adds `phone` (E.164, where the SMS goes) on the account page, typed as `typed`, with the code texted
 * to it; returns the page the code led to.
 */
export async function addPhoneOnAccount(ua: UserAgent, sms: SmsSink, phone: string, typed = phone): Promise<Page> {
  const before = sms.countFor(phone);
  const codePage = await submitPhoneOnAccount(ua, typed);
  if (!codePage.url.endsWith('/account/phone/verify')) throw new Error(`no code page after the number: ${codePage.status} ${codePage.url}\n${codePage.body.slice(0, 800)}`);
  return ua.submit(codePage, '/account/phone/verify', { code: await sms.waitForCode(phone, { after: before }) });
}

/** A member who confirmed it is them and added a new number: their browser (still able to change) and the number. */
export async function memberWithPhone(fx: Fixture, prefix: string) {
  const member = await confirmedMember(fx, prefix);
  const phone = uniquePhone();
  const page = await addPhoneOnAccount(member.ua, fx.sms, phone);
  if (!page.url.includes('notice=phone_added')) throw new Error(`the number was not added: ${page.status} ${page.url}\n${page.body.slice(0, 800)}`);
  // The "number added" notice goes out after the answer: let it land, so the caller's counts start after it.
  await fx.server.container.deliveries.drain();
  return { ...member, phone, page };
}

/** From an authorization URL: "Email me a sign-in code", "Use my mobile number instead", the number. */
export async function requestSmsSignIn(ua: UserAgent, authorizationUrl: string, phone: string): Promise<Page> {
  const emailForm = await followLink(ua, await openLoginPage(ua, authorizationUrl), '/code');
  return ua.submit(await followLink(ua, emailForm, '/code/sms'), '/code/sms', { phone });
}

/** On the step-up page: picks "Text me a code" and asks for it. Returns the page with the code form. */
export async function sendStepUpSms(ua: UserAgent, mfaPage: Page): Promise<Page> {
  const smsPage = await ua.submit(mfaPage, '/mfa/method', { method: 'sms' });
  const codePage = await ua.submit(smsPage, '/mfa/send', { channel: 'sms' });
  if (!codePage.body.includes('name="code"')) throw new Error(`no code form after texting: ${codePage.status}\n${codePage.body.slice(0, 800)}`);
  return codePage;
}
