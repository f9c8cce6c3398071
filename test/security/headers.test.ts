// Security headers on hosted pages and APIs: CSP without inline script, no framing, no caching of pages.
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { openLoginPage, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';

describe('security headers', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite' });
  });
  afterAll(async () => server?.close());

  test('the login page carries a strict CSP, no inline script or style, and is not cached', async () => {
    const config = await discover(server, await registerClient(server, { first_party: true }));
    const page = await openLoginPage(new UserAgent(server.url), (await authorizationRequest(config)).url);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.body).not.toMatch(/\sstyle="/);
    expect(page.body).toMatch(/<meta name="viewport"/);
    expect(page.headers.get('x-request-id')).toBeTruthy();
  });

  test('health and readiness answer; unknown paths are 404 without details', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', store: 'sqlite' });
    const missing = await fetch(`${server.url}/no-such-page`);
    expect(missing.status).toBe(404);
  });

  test('static assets are served with a content type and cannot escape the folder', async () => {
    const css = await fetch(`${server.url}/static/app.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await fetch(`${server.url}/static/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/static/../package.json`)).status).toBe(404);
  });
});
