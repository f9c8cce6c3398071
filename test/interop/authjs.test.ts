// Recipe "Auth.js" (docs/partners.md): a partner site using Auth.js (@auth/core 0.41, what NextAuth v5 and the
// SvelteKit/Express adapters run) with the generic OIDC provider config from the guide. The site is a real
// HTTP server handing every /auth/* request to Auth's own handler; a member signs in through it end to end:
// CSRF token, sign-in redirect (PKCE), our pages, the callback (code exchange, ID token checks, userinfo) and
// the session the site reads.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import { UserAgent } from '../support/member.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

/**
 * The part of @auth/core's API this recipe uses, typed here: its own declarations pull in preact's JSX types,
 * which reference the DOM lib and would change global types (streams, fetch) for the whole project.
 */
interface AuthConfig {
  basePath: string;
  trustHost: boolean;
  secret: string;
  providers: Array<Record<string, unknown>>;
  callbacks?: { redirect?: () => string };
}
const AUTH_CORE = '@auth/core';
const { Auth } = (await import(AUTH_CORE)) as { Auth: (request: Request, config: AuthConfig) => Promise<Response> };

/** A Fetch API Request for a Node request (what Auth.js framework adapters do). */
async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), { method: req.method, headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}) });
}

/** The partner's site: /auth/* is Auth.js, anything else a page. */
async function startSite(config: (origin: string) => AuthConfig): Promise<{ origin: string; server: Server }> {
  let origin = '';
  const server = createServer((req, res) => {
    void (async () => {
      if (!req.url?.startsWith('/auth/')) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('shop');
      const response = await Auth(await toRequest(req, origin), config(origin));
      const cookies = response.headers.getSetCookie();
      response.headers.forEach((value, name) => name !== 'set-cookie' && res.setHeader(name, value));
      if (cookies.length) res.setHeader('set-cookie', cookies);
      res.writeHead(response.status).end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, server };
}

describe.each(STORES)('recipe: Auth.js (%s)', (store) => {
  const fx = useMemberServer(store);
  const sites: { origin: string; server: Server }[] = [];
  afterAll(() => Promise.all(sites.map((site) => new Promise((resolve) => site.server.close(resolve)))));

  // Auth.js's default builds the user from the ID token alone (which carries the scope claims); idToken:
  // false adds userinfo. Both must give the site the member's email.
  test.each([['its default (the ID token alone)', undefined], ['idToken: false (userinfo too)', false]] as const)('a member signs in through Auth.js handlers with %s, and the site gets a session with their email', async (_label, idToken) => {
    let registered = { client_id: '', client_secret: '' as string | undefined };
    const site = await startSite((origin) => ({
      basePath: '/auth',
      trustHost: true,
      secret: 'a-test-secret-of-at-least-32-characters-0123',
      providers: [{
        id: 'loyalty',
        name: 'Loyalty ID',
        type: 'oidc',
        issuer: fx.server.url,
        clientId: registered.client_id,
        clientSecret: registered.client_secret,
        authorization: { params: { scope: 'openid email profile' } },
        ...(idToken === undefined ? {} : { idToken }),
      }],
      callbacks: { redirect: () => `${origin}/account` },
    }));
    sites.push(site);
    registered = await adminCreate(fx.server, 'clients', {
      client_name: 'Shoe shop (Auth.js)', redirect_uris: [`${site.origin}/auth/callback/loyalty`], scope: 'openid email profile',
    });

    const browserAtSite = new UserAgent(site.origin);
    const csrf = (await browserAtSite.request('/auth/csrf')).body;
    const { csrfToken } = JSON.parse(csrf) as { csrfToken: string };
    const toIdp = await browserAtSite.follow('/auth/signin/loyalty', { form: { csrfToken, callbackUrl: `${site.origin}/account` } });
    expect(toIdp.url.startsWith(`${fx.server.url}/auth?`)).toBe(true);
    expect(new URL(toIdp.url).searchParams.get('code_challenge_method')).toBe('S256');

    const { callbackUrl, email } = await memberSignsUpThrough(fx, toIdp.url);
    expect(callbackUrl.startsWith(`${site.origin}/auth/callback/loyalty?`)).toBe(true);
    const landed = await browserAtSite.follow(callbackUrl);
    expect([landed.url, landed.status]).toEqual([`${site.origin}/account`, 200]);

    const session = JSON.parse((await browserAtSite.request('/auth/session')).body) as { user?: { email?: string } };
    expect(session.user?.email).toBe(email);
  });
});
