// Passkeys in Chromium with a DevTools virtual authenticator (resident keys, user verification):
// sign up with only a passkey, sign in again by button and by autofill, and what an RP then sees.
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, oidc, registerClient, type AuthRequest } from '../support/oidc-client.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';

const PHR = 'urn:loyalty:loa:phr';

/** A platform authenticator with resident keys and user verification that always says yes. */
async function addVirtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/** Waits for the browser to land on the RP's callback and redeems the code there. */
async function tokensAt(page: Page, config: oidc.Configuration, callbackUrl: string, request: AuthRequest) {
  await page.waitForURL((url) => url.href.startsWith(callbackUrl));
  return oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
  }, { redirect_uri: callbackUrl });
}

describeWithBrowser('passkeys in Chromium', () => {
  const shared = useBrowserFixture();

  describe.each(STORES)('on %s', (store) => {
    let server: TestServer;
    let config: oidc.Configuration;
    let context: BrowserContext;
    let page: Page;
    let authenticator: { cdp: CDPSession; authenticatorId: string };
    const email = uniqueEmail('passkey');
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      // WebAuthn needs a domain for its rpId: the issuer is http://localhost:<port>, a secure context.
      server = await startTestServer({ store, publicHost: 'localhost', env: { SMTP_URL: shared.sink.url } });
      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url], first_party: true });
      config = await discover(server, client);
      context = await shared.browser.newContext({ viewport: { width: 375, height: 740 } });
      page = await context.newPage();
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      authenticator = await addVirtualAuthenticator(page);
    });
    afterAll(async () => {
      await context?.close();
      await server?.close();
    });

    const presence = (enabled: boolean) =>
      authenticator.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: authenticator.authenticatorId, enabled });
    const interactionUid = (p: Page) => /\/interaction\/([^/?#]+)/.exec(p.url())![1]!;
    /** Whether the server consumed the challenge of that request mode in that interaction. */
    const challengeUsed = async (mode: 'autofill' | 'button', uid: string) =>
      Boolean((await server.container.storage.codes.find('webauthn_authentication', `login:${mode}:${uid}`))?.consumedAt);

    const tokensFor = (request: AuthRequest) => tokensAt(page, config, shared.callback.url, request);

    test('sign up with only a passkey: email, code, passkey, back at the client at phr', async () => {
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url });
      await page.goto(request.url);
      await page.getByRole('link', { name: 'Create account' }).click();
      await page.getByRole('link', { name: 'Sign up with a passkey instead' }).click();
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Continue' }).click();
      const code = await shared.sink.waitForCode(email);
      await page.getByLabel('Verification code').fill(code);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('button', { name: 'Create passkey' }).click();

      const claims = (await tokensFor(request)).claims()!;
      expect(claims.acr).toBe(PHR);
      expect(claims.amr).toEqual(['hwk', 'user', 'mfa']);
      const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
      expect(credentials).toHaveLength(1);
      expect(credentials[0]!.isResidentCredential).toBe(true);
      const account = await server.container.storage.accounts.findByEmail(email);
      expect(account).toMatchObject({ emailVerified: true, passwordHash: null });
    });

    test('sign in again with the "Sign in with a passkey" button', async () => {
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, prompt: 'login' });
      // The authenticator would answer the page's autofill request at once. It answers only requests made
      // while presence simulation is on, so: off while the page starts its autofill request, on again
      // before the button makes its own (which aborts the autofill one).
      await presence(false);
      const autofillAsked = page.waitForResponse((r) => r.url().endsWith('/passkey/login/options') && (r.request().postData() ?? '').includes('"autofill"'));
      await page.goto(request.url);
      await autofillAsked;
      await page.waitForTimeout(200); // the autofill request reaches the authenticator right after its options
      await presence(true);
      const uid = interactionUid(page);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      const claims = (await tokensFor(request)).claims()!;
      expect(claims.acr).toBe(PHR);
      expect(await challengeUsed('button', uid)).toBe(true);
      expect(await challengeUsed('autofill', uid)).toBe(false);
    });

    test('sign in again by autofill: the passkey offered on the email field, no button pressed', async () => {
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, prompt: 'login' });
      await page.goto(request.url);
      // Conditional UI: the page asks for a passkey in the background as it loads (mediation
      // "conditional"); Chromium's virtual authenticator answers such a request by itself, as a member
      // picking the passkey from the email field's suggestions would. No button is pressed.
      const uid = interactionUid(page);
      const claims = (await tokensFor(request)).claims()!;
      expect(claims.acr).toBe(PHR);
      expect(await challengeUsed('autofill', uid)).toBe(true);
      expect(await challengeUsed('button', uid)).toBe(false);
      expect(consoleErrors).toEqual([]);
    });
  });
});

describeWithBrowser('passkey offer and step-up to phr in Chromium', () => {
  const shared = useBrowserFixture();

  describe.each(STORES)('on %s', (store) => {
    let server: TestServer;
    let config: oidc.Configuration;

    beforeAll(async () => {
      server = await startTestServer({ store, publicHost: 'localhost', env: { SMTP_URL: shared.sink.url } });
      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url], first_party: true });
      config = await discover(server, client);
    });
    afterAll(async () => server?.close());

    /** A member with a password (signed up over HTTP) and a phone-like browser with a platform authenticator. */
    async function passwordMemberInBrowser(prefix: string) {
      const email = uniqueEmail(prefix);
      const ua = new UserAgent(server.url);
      await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(config, { redirect_uri: shared.callback.url })).url), shared.sink, email);
      const context = await shared.browser.newContext({ viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      await addVirtualAuthenticator(page);
      return { email, context, page };
    }

    async function passwordSignIn(page: Page, email: string, params: Record<string, string> = {}) {
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, ...params });
      await page.goto(request.url);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      return request;
    }

    const tokensFor = (page: Page, request: AuthRequest) => tokensAt(page, config, shared.callback.url, request);

    test('after a password sign-in a passkey is offered; once made, a phr request steps up with it', async () => {
      const { email, context, page } = await passwordMemberInBrowser('offer');
      const mails = shared.sink.countFor(email);
      const first = await passwordSignIn(page, email);
      await page.getByRole('button', { name: 'Create passkey' }).click();
      const signIn = (await tokensFor(page, first)).claims()!;
      expect(signIn.acr).toBe('urn:loyalty:loa:1');
      expect(signIn.amr).toEqual(['pwd']);
      const notice = await shared.sink.waitForMessage(email, { after: mails });
      expect(notice.text).toContain('A passkey was just added to your account');

      const stepUp = await authorizationRequest(config, { redirect_uri: shared.callback.url, acr_values: PHR });
      await page.goto(stepUp.url);
      await expect(page.getByRole('button', { name: 'Use my authenticator app' }).count()).resolves.toBe(0); // phr: passkey only
      await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
      const claims = (await tokensFor(page, stepUp)).claims()!;
      expect(claims.acr).toBe(PHR);
      expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
      expect(claims.auth_time).toBeGreaterThanOrEqual(signIn.auth_time as number);
      await context.close();
    });

    test('"Not now" completes the sign-in, and the offer is not shown again on this device for a week', async () => {
      const { email, context, page } = await passwordMemberInBrowser('snooze');
      const first = await passwordSignIn(page, email);
      await page.getByRole('button', { name: 'Not now' }).click();
      expect((await tokensFor(page, first)).claims()!.acr).toBe('urn:loyalty:loa:1');
      const second = await passwordSignIn(page, email, { prompt: 'login' });
      expect((await tokensFor(page, second)).claims()!.acr).toBe('urn:loyalty:loa:1');
      await context.close();
    });
  });
});
