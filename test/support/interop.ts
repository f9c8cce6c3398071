// What the partner guide (docs/partners.md) tells a partner to do, as test steps: register a client with the
// admin API, then let a member sign up and sign in through the authorization URL the partner's library built.
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from './member.ts';
import type { MemberServer } from './suite.ts';
import type { TestServer } from './test-server.ts';

export interface RegisteredPartnerClient {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

/** POST /admin/{path} with the bootstrap admin's token; fails the test unless the answer is 201. */
export async function adminCreate<T = RegisteredPartnerClient>(server: TestServer, path: string, body: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${server.url}/admin/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await server.adminToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (response.status !== 201) throw new Error(`POST /admin/${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * A new member follows `authorizationUrl` (built by the relying party's library), signs up, verifies the
 * email, signs in and consents. Returns where the provider sent the browser back (the client's redirect URI).
 */
export async function memberSignsUpThrough(fx: MemberServer, authorizationUrl: string): Promise<{ callbackUrl: string; email: string; ua: UserAgent }> {
  const email = uniqueEmail('interop');
  const ua = new UserAgent(fx.server.url);
  const login = await signUpAndVerify(ua, await openLoginPage(ua, authorizationUrl), fx.sink, email);
  const done = await signIn(ua, login, email);
  if (done.status < 300 || done.status >= 400) throw new Error(`sign-in stopped at ${done.url} (${done.status})`);
  return { callbackUrl: done.url, email, ua };
}
