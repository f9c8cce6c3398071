// Member-API tokens for tests: a code flow with the member API's resource indicator gives a JWT access
// token whose audience is the member API (RFC 8707), which is what /api/v1/me accepts.
import { authorizationRequest, exchange, type oidc, REDIRECT_URI } from './oidc-client.ts';
import type { UserAgent } from './member.ts';
import type { TestServer } from './test-server.ts';

export const memberApiResource = (server: TestServer): string => `${server.url}/api/member`;

/** Through `ua`'s session (SSO: the member must be signed in already; consent given if asked) returns a member-API token. */
export async function memberApiToken(server: TestServer, app: oidc.Configuration, ua: UserAgent, scope = 'openid loyalty'): Promise<string> {
  const request = await authorizationRequest(app, { scope, resource: memberApiResource(server) });
  let done = await ua.follow(request.url);
  // A third-party app asks the member to consent to the member API's access the first time.
  if (done.status === 200 && done.body.includes('/consent"')) done = await ua.submit(done, '/consent', { decision: 'allow' });
  if (!done.url.startsWith(REDIRECT_URI)) throw new Error(`no single sign-on for a member-API token: ${done.status} ${done.url}`);
  return (await exchange(app, done.url, request)).access_token;
}

export function callMemberApi(server: TestServer, token: string, path = '/api/v1/me'): Promise<Response> {
  return fetch(new URL(path, server.url), { headers: { authorization: `Bearer ${token}` } });
}
