// Plays attackers and members against the sign-in and sign-up pages: one browser per attempt, from a
// chosen client address (X-Forwarded-For as our trusted proxy would send it), solving bot challenges on demand.
import { solveChallenge } from '../../server/security/bot-challenge/solve.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent } from './member.ts';
import { authorizationRequest, REDIRECT_URI } from './oidc-client.ts';
import type { MemberServer } from './suite.ts';
import type { Page } from './user-agent.ts';

export type Fixture = Pick<MemberServer, 'server' | 'config' | 'sink'>;

/** A browser whose requests reach the server from `ip` (the server must run with TRUST_PROXY=true). */
export function browserFrom(fx: Fixture, ip?: string): UserAgent {
  return new UserAgent(fx.server.url, ip ? { 'x-forwarded-for': ip } : {});
}

export async function loginPage(fx: Fixture, ua: UserAgent): Promise<Page> {
  return openLoginPage(ua, (await authorizationRequest(fx.config)).url);
}

/** One password attempt on a fresh login page. */
export async function attempt(fx: Fixture, ua: UserAgent, email: string, password: string, extra: Record<string, string> = {}): Promise<Page> {
  return ua.submit(await loginPage(fx, ua), '/login', { email, password, ...extra });
}

/** The bot challenge on a page, solved as the page's script would; undefined when the page has none. */
export function solve(page: Page): Record<string, string> | undefined {
  const match = /name="bot_challenge" value="([^"]+)" data-difficulty="(\d+)"/.exec(page.body);
  if (!match) return undefined;
  return { bot_solution: solveChallenge(match[1]!, Number(match[2])) };
}

export function hasChallenge(page: Page): boolean {
  return page.body.includes('name="bot_challenge"');
}

/** The password was accepted: the client got its code, or a step-up / consent / offer page follows. */
export function passwordAccepted(page: Page): boolean {
  return page.url.startsWith(REDIRECT_URI) || (page.status === 200 && !page.body.includes('name="password"'));
}

/** A member who signed up (and so owns a known device: the returned browser). */
export async function member(fx: Fixture, prefix = 'member', ip?: string): Promise<{ email: string; ua: UserAgent }> {
  const email = uniqueEmail(prefix);
  const ua = browserFrom(fx, ip);
  await signUpAndVerify(ua, await loginPage(fx, ua), fx.sink, email);
  return { email, ua };
}

export { PASSWORD, uniqueEmail };
