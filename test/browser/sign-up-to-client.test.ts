// A real browser: sign up → verify the emailed code (local SMTP sink), which signs the member in → consent →
// back at the client with tokens; and a step-up whose only way is an emailed code sends it on arrival.
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, oidc, registerClient } from '../support/oidc-client.ts';

describeWithBrowser('hosted pages in Chromium', () => {
  const shared = useBrowserFixture();

  describe.each(STORES)('on %s', (store) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ store, env: { SMTP_URL: shared.sink.url } });
    });
    afterAll(async () => server?.close());

    test('sign up, verify, sign in, consent, tokens', async () => {
      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url] });
      const config = await discover(server, client);
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, scope: 'openid email offline_access', prompt: 'consent' });
      const email = uniqueEmail('browser');

      const context = await shared.browser.newContext({ viewport: { width: 375, height: 740 } }); // a phone
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.goto(request.url);

      await page.getByRole('link', { name: 'Create account' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();

      const code = await shared.sink.waitForCode(email);
      await page.getByLabel('Verification code').fill(code);
      await page.getByRole('button', { name: 'Continue' }).click();

      // Signed in by the code: no second password entry, straight on to consent.
      await page.getByText('Partner Shop').first().waitFor();
      expect(await page.getByLabel('Password').count()).toBe(0);
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.href.startsWith(shared.callback.url));

      const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }, { redirect_uri: shared.callback.url });
      expect(tokens.claims()!.acr).toBe('urn:loyalty:loa:1');
      expect(tokens.refresh_token).toBeTruthy();
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.access_token).toBeTruthy();
      expect(consoleErrors).toEqual([]);

      // Logout through the confirmation page.
      await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading').first().waitFor();
      await context.close();
    });

    test('a step-up whose only way is an emailed code sends it on arrival, and a reload sends no second one', async () => {
      const client = await registerClient(server, { first_party: true, redirect_uris: [shared.callback.url] });
      const config = await discover(server, client);
      const email = uniqueEmail('auto-send');
      const ua = new UserAgent(server.url);
      await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(config, { redirect_uri: shared.callback.url })).url), shared.sink, email);
      await server.container.deliveries.drain();
      const before = shared.sink.countFor(email);

      const context = await shared.browser.newContext({ viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      await page.goto((await authorizationRequest(config, { redirect_uri: shared.callback.url, acr_values: 'urn:loyalty:loa:2' })).url);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      // No "Send code" click: the code field appears and the code arrives.
      await page.getByLabel('Verification code').waitFor();
      const code = await shared.sink.waitForCode(email, { after: before });
      await page.reload();
      await page.getByLabel('Verification code').waitFor();
      expect(await page.getByRole('button', { name: 'Send again' }).count()).toBe(1);
      await server.container.deliveries.drain();
      expect(shared.sink.countFor(email)).toBe(before + 1);

      await page.getByLabel('Verification code').fill(code);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Not now' }).click();
      await page.waitForURL((url) => url.href.startsWith(shared.callback.url));
      await context.close();
    });
  });
});
