// A member without a mouse, in Chromium: sign-up, sign-in with a second factor and consent with Tab,
// Shift+Tab, Enter and Space only (typing goes into whatever has focus), every stop showing a visible focus
// ring; and after a failed submit focus lands on the error summary, whose links lead to their fields.
import type { Page } from 'playwright-core';
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { PASSWORD, uniqueEmail } from '../support/member.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';

const LOA2 = 'urn:loyalty:loa:2';

/** The page's globals, typed loosely: the project compiles without lib.dom. */
type FocusedElement = { matches(selector: string): boolean; id: string; tagName: string; outerHTML: string };
type PageGlobals = {
  document: { activeElement: FocusedElement | null; body: FocusedElement };
  getComputedStyle(element: FocusedElement): { outlineStyle: string; outlineWidth: string; boxShadow: string };
};

interface FocusStop { matches: boolean; ring: boolean; html: string }

/** What has focus: whether it matches `selector`, and whether it shows a focus ring (outline or halo, 2px+). */
function focusStop(page: Page, selector: string): Promise<FocusStop> {
  return page.evaluate((wanted) => {
    const { document, getComputedStyle } = globalThis as unknown as PageGlobals;
    const element = document.activeElement;
    if (!element || element === document.body) return { matches: false, ring: true, html: 'body' };
    const style = getComputedStyle(element);
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none';
    return { matches: element.matches(wanted), ring, html: element.outerHTML.slice(0, 120) };
  }, selector);
}

/**
 * Presses Tab (or Shift+Tab) until the focused element matches `selector`; fails after 40 stops. Every stop
 * on the way must show its focus ring: a keyboard user has to see where they are.
 */
async function tabTo(page: Page, selector: string, { backwards = false } = {}): Promise<void> {
  for (let stops = 0; stops < 40; stops += 1) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const stop = await focusStop(page, selector);
    if (!stop.ring) throw new Error(`no visible focus indicator on ${stop.html} (${page.url()})`);
    if (stop.matches) return;
  }
  throw new Error(`Tab never reached ${selector} on ${page.url()}`);
}

/** Submits by keyboard and waits for the next page (Enter on a field or button, Space on a button). */
async function pressAndLoad(page: Page, key: 'Enter' | 'Space'): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
}

describeWithBrowser('keyboard-only members in Chromium', () => {
  const shared = useBrowserFixture();

  describe.each(STORES)('(%s)', (store) => {
    if (store === 'mongo') allowFerretDbTime();
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ store, env: { SMTP_URL: shared.sink.url } });
    });
    afterAll(async () => server?.close());

    test('sign-up, sign-in with an emailed second factor and consent, by keyboard alone', async () => {
      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url] });
      const config = await discover(server, client);
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, acr_values: LOA2 });
      const email = uniqueEmail('keyboard');
      const context = await shared.browser.newContext({ viewport: { width: 1024, height: 768 } });
      const page = await context.newPage();
      try {
        await page.goto(request.url);
        // Sign-in page → "Create account".
        await tabTo(page, 'a[href$="/register"]');
        await pressAndLoad(page, 'Enter');
        // Sign-up: email, password, submit with Enter from the password field.
        await tabTo(page, '#email');
        await page.keyboard.type(email);
        await tabTo(page, '#password');
        await page.keyboard.type(PASSWORD);
        // Shift+Tab back to the email and forward again: nothing typed is lost on the way.
        await tabTo(page, '#email', { backwards: true });
        await tabTo(page, '#password');
        await pressAndLoad(page, 'Enter');
        // Verification: the emailed code.
        await tabTo(page, '#code');
        await page.keyboard.type(await shared.sink.waitForCode(email));
        // Mail from here on: the step-up code (sent at once, or after "Send code").
        let before = shared.sink.countFor(email);
        await pressAndLoad(page, 'Enter');
        // Signed in at once, or asked for the password once more.
        if (await page.locator('#password').count()) {
          await tabTo(page, '#password');
          await page.keyboard.type(PASSWORD);
          before = shared.sink.countFor(email);
          await pressAndLoad(page, 'Enter');
        }
        // The partner asked for two factors: an emailed code (sent at once, or after "Send code" with Space).
        if (!(await page.locator('#code').count())) {
          await tabTo(page, 'form[action$="/mfa/send"] button');
          await pressAndLoad(page, 'Space');
        }
        await tabTo(page, '#code');
        await page.keyboard.type(await shared.sink.waitForCode(email, { after: before }));
        await pressAndLoad(page, 'Enter');
        // The authenticator-app offer: "Not now".
        if (await page.locator('form[action$="/mfa/finish"] button').count()) {
          await tabTo(page, 'form[action$="/mfa/finish"] button');
          await pressAndLoad(page, 'Enter');
        }
        // Consent: Allow, with Space.
        await tabTo(page, 'button[name="decision"][value="allow"]');
        await Promise.all([page.waitForURL((url) => url.href.startsWith(shared.callback.url)), page.keyboard.press('Space')]);
        expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
      } finally {
        await context.close();
      }
    });

    test('after a failed submit focus is on the error summary, and its link puts the caret in the field', async () => {
      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url] });
      const config = await discover(server, client);
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url });
      const context = await shared.browser.newContext({ viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      // The focus script is a file under the strict CSP (script-src 'self'): nothing may be refused, nothing may
      // throw. (The failed submits themselves answer 400, which Chromium logs as a failed load.)
      const consoleErrors: string[] = [];
      page.on('console', (message) => message.type() === 'error' && !/status of 400/.test(message.text()) && consoleErrors.push(message.text()));
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      try {
        await page.goto(request.url);
        await tabTo(page, 'a[href$="/register"]');
        await pressAndLoad(page, 'Enter');
        await tabTo(page, '#email');
        await page.keyboard.type(uniqueEmail('summary'));
        await tabTo(page, '#password');
        await page.keyboard.type('short');
        await pressAndLoad(page, 'Enter');
        // The script runs after parsing (defer): wait for it to move focus.
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.activeElement?.id === 'error-summary');
        const links = await page.locator('#error-summary a').evaluateAll((anchors) => anchors.map((a) => (a as unknown as { getAttribute(n: string): string }).getAttribute('href')));
        expect(links).toEqual(['#password']);
        expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');
        // The next Tab stop is the summary's link; Enter on it focuses the field it names.
        await tabTo(page, '#error-summary a');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.activeElement?.id === 'password');
        // A wrong code on the verification page: the same, for the code field.
        await page.keyboard.type(PASSWORD);
        await pressAndLoad(page, 'Enter');
        await tabTo(page, '#code');
        await page.keyboard.type('000000');
        await pressAndLoad(page, 'Enter');
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.activeElement?.id === 'error-summary');
        await tabTo(page, '#error-summary a[href="#code"]');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.activeElement?.id === 'code');
        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  });
});
