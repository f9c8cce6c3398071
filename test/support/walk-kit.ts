// What a walk of the hosted pages works with (see hosted-pages.ts): its kit, the languages, and the steps several
// walks take on the way to the pages they keep (sign-up, profile completion, an emailed step-up code).
import { signUpAndVerify, uniqueEmail, type UserAgent } from './member.ts';
import type { oidc } from './oidc-client.ts';
import type { MemberServer } from './suite.ts';
import type { Page } from './user-agent.ts';

export const LOCALES = ['en', 'es', 'pt-BR', 'fr', 'pl'] as const;
export type Locale = (typeof LOCALES)[number];

export const LOA2 = 'urn:loyalty:loa:2';

export interface WalkKit {
  fx: MemberServer;
  locale: Locale;
  /** A fresh browser stand-in asking for `locale`, from its own client address. */
  browser(): UserAgent;
  /** Keeps `page` under `name` (it must be a 200/4xx HTML page). */
  keep(name: string, page: Page): Page;
  /** An authorization request for the walk's first-party client in the walk's language. */
  authorize(params?: Record<string, string>, config?: oidc.Configuration): Promise<string>;
}

/** A new member signed up at `loginPage` with a verified email: the login page it ends on, and the address. */
export async function signedUpAt(kit: WalkKit, ua: UserAgent, loginPage: Page): Promise<{ email: string; login: Page }> {
  const email = uniqueEmail(`a11y-${kit.locale}`);
  return { email, login: await signUpAndVerify(ua, loginPage, kit.fx.sink, email) };
}

/** The program asks for a first name at the first sign-in (profile completion): answered, unless it is the page a walk keeps. */
export async function pastProfile(ua: UserAgent, page: Page): Promise<Page> {
  const asked = page.status === 200 && page.url.includes('/interaction/') && page.body.includes('/profile"');
  return asked ? ua.submit(page, '/profile', { given_name: 'Ada', family_name: '' }) : page;
}

/** Mail already sent to `email` (after the queue has drained): codes that come later are counted from here. */
export async function mailCount(kit: WalkKit, email: string): Promise<number> {
  await kit.fx.server.container.deliveries.drain();
  return kit.fx.sink.countFor(email);
}

/** Where a step-up page leads once the emailed code is in (sent at once, or after "Send code"). */
export async function emailCodeStep(kit: WalkKit, ua: UserAgent, mfa: Page, email: string, before: number, keepAs?: string): Promise<Page> {
  const codePage = mfa.body.includes('name="code"') ? mfa : await ua.submit(mfa, '/mfa/send');
  if (keepAs) kit.keep(keepAs, codePage);
  const code = await kit.fx.sink.waitForCode(email, { after: before });
  return ua.submit(codePage, '/mfa', { code });
}
