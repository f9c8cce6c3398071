// Progressive profiling in Chromium at a phone's size: a new member signs up through a client, is asked
// only for the sign-up field (First name), meets the error summary on an empty answer, and gets back to
// the client with given_name; at the second sign-in the optional Last name is offered with "Not now".
// The profile page must fit a phone (no sideways scroll), log no console errors and break no CSP rule.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describeWithBrowser, provokeInlineScriptViolation, useBrowserFixture } from '../support/browser.ts';
import { PASSWORD, uniqueEmail } from '../support/member.ts';
import { authorizationRequest, discover, oidc, registerClient, type AuthRequest } from '../support/oidc-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const declaration = join(mkdtempSync(join(tmpdir(), 'profile-fields-')), 'fields.json');
writeFileSync(declaration, JSON.stringify([
  { name: 'given_name', required: true, ask: { atSignUp: true } },
  { name: 'family_name', ask: { afterSignIns: 2 } },
  { name: 'birthdate', ask: { beforeRedemption: true } },
]));

const PHONE = { width: 375, height: 812 };
const PROFILE_HEADING = 'A little about you';

/**
 * The little of the browser's globals the page functions below use: the project compiles without lib.dom.
 * (Page functions run in the browser, so each reaches them through globalThis itself.)
 */
interface BrowserGlobals {
  document: {
    documentElement: { scrollWidth: number };
    activeElement: unknown;
    getElementById(id: string): { textContent: string | null } | null;
    addEventListener(type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string; blockedURI: string; documentURI: string }) => void): void;
  };
  innerWidth: number;
  location: { hash: string };
  getComputedStyle(element: unknown): { outlineStyle: string };
  reportCspViolation(violation: string): Promise<void>;
}

/** What a page complained about: console errors, uncaught exceptions and CSP violations (all documents). */
interface Problems {
  console: string[];
  csp: string[];
}

/** A fresh phone-sized browser profile that records every console error and CSP violation of its pages. */
async function phone(browserContext: () => Promise<BrowserContext>): Promise<{ context: BrowserContext; page: Page; problems: Problems }> {
  const context = await browserContext();
  const problems: Problems = { console: [], csp: [] };
  // Runs in each document before its own scripts; the binding outlives navigations, unlike page globals.
  await context.exposeBinding('reportCspViolation', (_source, violation: string) => void problems.csp.push(violation));
  await context.addInitScript(() => {
    const browser = globalThis as unknown as BrowserGlobals;
    browser.document.addEventListener('securitypolicyviolation', (event) => {
      void browser.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} on ${event.documentURI}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.console.push(`${message.text()} (${message.location().url})`));
  page.on('pageerror', (error) => problems.console.push(`uncaught: ${error.message}`));
  return { context, page, problems };
}

/** Whether the document is wider than the viewport (a sideways scroll bar on a phone). */
const scrollsSideways = (page: Page) => page.evaluate(() => {
  const { document, innerWidth } = globalThis as unknown as BrowserGlobals;
  return document.documentElement.scrollWidth > innerWidth;
});

describeWithBrowser('progressive profiling in Chromium', () => {
  const shared = useBrowserFixture();
  let server: TestServer;
  let config: oidc.Configuration;
  const email = uniqueEmail('browser-profile');
  const openContexts: BrowserContext[] = [];
  const newPhoneContext = async () => {
    const context = await shared.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    openContexts.push(context);
    return context;
  };

  beforeAll(async () => {
    // One store is enough here: the HTTP flow test (test/flows/profile.test.ts) covers both.
    server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: shared.sink.url, PROFILE_FIELDS_FILE: declaration } });
    const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url], first_party: true });
    config = await discover(server, client);
  });
  afterAll(async () => {
    for (const context of openContexts) await context.close();
    await server?.close();
  });

  /** An authorization request for the profile scope that also asks for given_name in the ID token. */
  const profileRequest = (params: Record<string, string> = {}) => authorizationRequest(config, {
    redirect_uri: shared.callback.url,
    scope: 'openid profile',
    claims: JSON.stringify({ id_token: { given_name: null } }),
    ...params,
  });

  /** Waits for the browser at the client's callback and redeems the code there. */
  async function tokensAt(page: Page, request: AuthRequest) {
    await page.waitForURL((url) => url.href.startsWith(shared.callback.url));
    await page.getByRole('heading', { name: 'Back at the shop' }).waitFor();
    return oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
    }, { redirect_uri: shared.callback.url });
  }

  test('sign up, verify (which signs in), then only "First name" is asked; an empty answer is explained; given_name reaches the client', async () => {
    const { page, problems } = await phone(newPhoneContext);
    const request = await profileRequest();
    await page.goto(request.url);
    await page.getByRole('link', { name: 'Create account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Verification code').fill(await shared.sink.waitForCode(email));
    await page.getByRole('button', { name: 'Continue' }).click();

    // Signed in by the code (no second password entry): the profile page, one field, the sign-up one, required (no "Not now").
    await page.getByRole('heading', { name: PROFILE_HEADING }).waitFor();
    const problemsBefore = { console: [...problems.console], csp: [...problems.csp] };
    const firstName = page.getByLabel('First name', { exact: true });
    await expect(firstName.isVisible()).resolves.toBe(true);
    await expect(page.getByRole('textbox').count()).resolves.toBe(1);
    await expect(page.getByLabel('Last name').count()).resolves.toBe(0);
    await expect(page.getByLabel('Date of birth').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Not now' }).count()).resolves.toBe(0);
    await expect(firstName.getAttribute('autocomplete')).resolves.toBe('given-name');
    expect(await scrollsSideways(page)).toBe(false);

    // An empty answer: the page comes back with an error summary (role=alert) linking to the field,
    // the field marked invalid and its message tied to it, still fitting the phone.
    await page.getByRole('button', { name: 'Continue' }).click();
    const summary = page.getByRole('alert');
    await summary.waitFor();
    await expect(summary.isVisible()).resolves.toBe(true);
    const summaryLink = summary.getByRole('link', { name: /Enter this/ });
    await expect(summaryLink.isVisible()).resolves.toBe(true);
    await expect(firstName.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await firstName.getAttribute('aria-describedby')) ?? '';
    const description = await page.evaluate((ids) => {
      const { document } = globalThis as unknown as BrowserGlobals;
      return ids.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
    }, describedBy);
    expect(description).toContain('Enter this');
    expect(await scrollsSideways(page)).toBe(false);

    // Keyboard: the summary link shows its focus ring; Enter on it moves focus into the field, drawn visibly.
    await summaryLink.focus();
    const linkFocus = await summaryLink.evaluate((link) => ({
      visible: link.matches(':focus-visible'),
      outline: (globalThis as unknown as BrowserGlobals).getComputedStyle(link).outlineStyle,
    }));
    expect(linkFocus).toEqual({ visible: true, outline: 'solid' });
    // The summary's script (/static/error-summary.js) puts the caret in the field itself, so the address keeps no #fragment.
    await page.keyboard.press('Enter');
    const fieldFocus = await firstName.evaluate((input) => {
      const { document, getComputedStyle } = globalThis as unknown as BrowserGlobals;
      return { focused: input === document.activeElement, visible: input.matches(':focus-visible'), outline: getComputedStyle(input).outlineStyle };
    });
    expect(fieldFocus).toEqual({ focused: true, visible: true, outline: 'solid' });

    await firstName.fill('Ada María');
    await page.getByRole('button', { name: 'Continue' }).click();
    const tokens = await tokensAt(page, request);
    expect(tokens.claims()!.given_name).toBe('Ada María');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.given_name).toBe('Ada María');
    expect(userinfo.family_name).toBeUndefined();

    // The only complaint: Chromium logs the refused form's 400 status, which is the page working as meant.
    expect(problemsBefore).toEqual({ console: [], csp: [] });
    expect(problems).toEqual({ console: [expect.stringMatching(/status of 400 \(Bad Request\) \(http:\/\/[^ ]+\/interaction\/[^/ ]+\/profile\)$/)], csp: [] });
  });

  test('the second sign-in offers "Last name" with "Not now"; skipping lands at the client', async () => {
    const { page, problems } = await phone(newPhoneContext);
    const request = await profileRequest();
    await page.goto(request.url);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.getByRole('heading', { name: PROFILE_HEADING }).waitFor();
    await expect(page.getByLabel('Last name', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('textbox').count()).resolves.toBe(1);
    await expect(page.getByLabel('First name').count()).resolves.toBe(0);
    await expect(page.getByLabel('Date of birth').count()).resolves.toBe(0);
    await expect(page.getByText('Optional: leave it empty to skip it for now.').isVisible()).resolves.toBe(true);
    const notNow = page.getByRole('button', { name: 'Not now' });
    await expect(notNow.isVisible()).resolves.toBe(true);
    expect(await scrollsSideways(page)).toBe(false);
    // The smallest phones too (the stylesheet promises 320px).
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(PHONE);
    expect(problems).toEqual({ console: [], csp: [] });

    // The CSP recorder is not blind: an inline script on this page is reported (then forgotten).
    await provokeInlineScriptViolation(page, problems.csp);
    expect(problems.csp).toEqual([expect.stringMatching(/^script-src-elem blocked inline on /)]);
    problems.csp.length = 0;
    problems.console.length = 0;

    await notNow.click();
    const tokens = await tokensAt(page, request);
    expect(tokens.claims()!.given_name).toBe('Ada María');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ given_name: 'Ada María' });
    expect(userinfo.family_name).toBeUndefined();
    expect(problems).toEqual({ console: [], csp: [] });
  });
});
