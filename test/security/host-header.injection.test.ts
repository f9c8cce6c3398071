// Host-header injection: a forged Host or X-Forwarded-Host must not put another origin into discovery (cache
// poisoning), a device code's verification link, the end-session form or any redirect; all name the ISSUER,
// with and without TRUST_PROXY. Discovery and the JWKS are cacheable for a bounded time.
import { request as httpRequest } from 'node:http';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';

const EVIL = 'evil.example';
const FORGED: Record<string, Record<string, string>> = {
  'a forged Host': { host: EVIL },
  'a forged X-Forwarded-Host and -Proto': { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'https' },
  'both': { host: `${EVIL}:8443`, 'x-forwarded-host': `${EVIL}:444`, 'x-forwarded-proto': 'https' },
};

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** node:http, because fetch will not send a Host header of the caller's choosing. */
function raw(base: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method: body === undefined ? 'GET' : 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every absolute URL in a text (a JSON body, a page), so none is missed. */
const absoluteUrls = (text: string) => [...text.matchAll(/https?:\/\/[^\s"'<>\\]+/g)].map((match) => match[0]);

describe.each(STORES.flatMap((store) => [[store, 'false'], [store, 'true']]))('absolute URLs name the issuer whatever the Host (%s, TRUST_PROXY=%s)', (_store, trustProxy) => {
  const store = _store as (typeof STORES)[number];
  const fx = useMemberServer(store, { TRUST_PROXY: trustProxy });
  const issuer = () => fx.server.url;
  const onIssuer = (url: string) => url.startsWith(`${issuer()}/`) || url === issuer();

  describe.each(Object.entries(FORGED))('with %s', (_name, forged) => {
    test('discovery names the issuer in every endpoint', async () => {
      const discovery = await raw(issuer(), '/.well-known/openid-configuration', forged);
      expect(discovery.status).toBe(200);
      const metadata = JSON.parse(discovery.body) as Record<string, unknown>;
      expect(metadata.issuer).toBe(issuer());
      for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint', 'device_authorization_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'pushed_authorization_request_endpoint']) {
        expect([key, String(metadata[key]).startsWith(`${issuer()}/`)]).toEqual([key, true]);
      }
      expect(discovery.body).not.toContain(EVIL);
      expect(absoluteUrls(discovery.body).filter((url) => url.includes('127.0.0.1') || url.includes(EVIL)).every(onIssuer)).toBe(true);
    });

    test('a device code\'s verification_uri and verification_uri_complete name the issuer', async () => {
      const kiosk = await registerClient(fx.server, {
        token_endpoint_auth_method: 'none', application_type: 'native', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [], redirect_uris: [], client_name: 'Kiosk',
      });
      const device = await raw(issuer(), '/device/auth', forged, `client_id=${kiosk.clientId}&scope=openid`);
      expect(device.status).toBe(200);
      const body = JSON.parse(device.body) as { verification_uri: string; verification_uri_complete: string };
      expect(body.verification_uri).toBe(`${issuer()}/device`);
      expect(onIssuer(body.verification_uri_complete)).toBe(true);
    });

    test('the authorization redirect and the end-session form stay on the issuer', async () => {
      const auth = await authorizationRequest(fx.config);
      const redirect = await raw(issuer(), new URL(auth.url).pathname + new URL(auth.url).search, forged);
      expect(redirect.status).toBeGreaterThanOrEqual(300);
      const location = new URL(String(redirect.headers.location), issuer()).href;
      expect(onIssuer(location)).toBe(true);
      const endSession = await raw(issuer(), '/session/end', forged);
      expect(endSession.status).toBe(200);
      expect(endSession.body).not.toContain(EVIL);
      for (const url of absoluteUrls(endSession.body)) if (url.includes(EVIL) || url.includes('127.0.0.1')) expect(onIssuer(url)).toBe(true);
    });
  });

  test('a whole sign-in behind a forged X-Forwarded-Host redirects only to the issuer and then the client', async () => {
    const email = uniqueEmail('host');
    const setup = new UserAgent(issuer());
    await signUpAndVerify(setup, await openLoginPage(setup, (await authorizationRequest(fx.config)).url), fx.sink, email);
    // This browser's every request carries the forged headers; it follows redirects only on the issuer's origin.
    const ua = new UserAgent(issuer(), { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'https' });
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    const done = await signIn(ua, login, email);
    expect(done.url.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect(new URL(done.url).searchParams.get('iss')).toBe(issuer());
  });

  test('discovery and the JWKS carry a bounded public Cache-Control; the JWKS one is short', async () => {
    const discovery = await fetch(`${issuer()}/.well-known/openid-configuration`);
    expect(discovery.headers.get('cache-control')).toBe('public, max-age=3600');
    const jwks = await fetch(`${issuer()}/jwks`);
    const maxAge = Number(/max-age=(\d+)/.exec(jwks.headers.get('cache-control') ?? '')?.[1]);
    expect(jwks.headers.get('cache-control')).toMatch(/^public, /);
    // Shorter than the hour a rotated key is published before it signs.
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThan(3600);
    // Not the token endpoint or anything else.
    expect((await fetch(`${issuer()}/token`, { method: 'POST' })).headers.get('cache-control')).toMatch(/no-store/);
  });
});
