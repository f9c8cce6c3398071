// A real browser signs up with the "Google" connection (a second oidc-provider with its own keys) and comes back to the client with tokens.
import { randomUUID } from 'node:crypto';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { authorizationRequest, discover, oidc, registerClient } from '../support/oidc-client.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../support/upstream-idp.ts';

describeWithBrowser('signing up with an upstream connection in Chromium', () => {
  const shared = useBrowserFixture();

  describe.each(STORES)('on %s', (store) => {
    const accounts = new Map<string, Record<string, unknown>>();
    let server: TestServer;
    let upstream: UpstreamIdp;
    beforeAll(async () => {
      server = await startTestServer({ store, env: { SMTP_URL: shared.sink.url } });
      upstream = await startUpstreamIdp({ accounts });
    });
    afterAll(async () => {
      await server?.close();
      await upstream?.close();
    });

    test('"Continue with Google" on the sign-up page, the upstream sign-in, back at the client with a fed sign-in', async () => {
      const token = await server.adminToken();
      const admin = adminCaller(() => server, () => token);
      const created = await admin('POST', '/admin/connections', { kind: 'oidc', name: 'Google', issuer: upstream.issuer, client_id: 'pending', trusted_email: true });
      const { id, redirect_uri: redirectUri } = created.body as unknown as { id: string; redirect_uri: string };
      expect((await admin('PATCH', `/admin/connections/${id}`, await upstream.register(redirectUri))).status).toBe(200);

      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url], first_party: true });
      const config = await discover(server, client);
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, scope: 'openid email' });
      const sub = `google-${randomUUID()}`;
      const email = `browser.fed.${randomUUID()}@example.com`;
      accounts.set(sub, { email, email_verified: true });

      const context = await shared.browser.newContext({ viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      // Ours only: the upstream's development pages are not ours to judge (they load a web font, for one).
      page.on('console', (m) => m.type() === 'error' && m.location().url.startsWith(server.url) && consoleErrors.push(m.text()));
      await page.goto(request.url);
      await page.getByRole('link', { name: 'Create account' }).click();
      await page.getByRole('button', { name: 'Continue with Google' }).click();

      // The upstream's own (development) pages: sign in, then allow.
      await page.waitForURL((url) => url.href.startsWith(upstream.issuer));
      await page.locator('input[name="login"]').fill(sub);
      await page.locator('input[name="password"]').fill('anything');
      await page.locator('button[type="submit"]').click();
      await page.locator('button[type="submit"]').click();

      await page.waitForURL((url) => url.href.startsWith(shared.callback.url));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }, { redirect_uri: shared.callback.url });
      expect(tokens.claims()).toMatchObject({ amr: ['fed'], acr: 'urn:loyalty:loa:1' });
      expect(await server.container.storage.accounts.findByEmail(email)).toMatchObject({ emailVerified: true });
      expect(consoleErrors).toEqual([]);
      await context.close();
    });
  });
});
