// The home page at `/` in Chromium on a 375 px phone, with an operator's branding: the program's name and
// logo, its colours on the primary button, Sign in and Create account, the language switcher; no sideways
// scroll, no console error, no CSP violation (the branding arrives as a stylesheet and an image of our own).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { PHONE, recordCspViolations, scrollsSideways, watchedPage } from '../support/phone-page.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'idp-brand-browser-'));
writeFileSync(join(dir, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 10 10"><rect width="10" height="10" fill="#7a0019"/></svg>');
writeFileSync(join(dir, 'branding.json'), JSON.stringify({
  program_name: 'Acme Rewards', logo: 'logo.svg', primary_colour: '#7a0019', primary_text_colour: '#ffffff', privacy_url: 'https://acme.example/privacy',
}));

/** The little of the browser's globals the page functions use: the project compiles without lib.dom. */
interface BrowserGlobals {
  document: { querySelector(selector: string): { naturalWidth: number } | null };
  getComputedStyle(element: unknown): { backgroundColor: string; color: string };
}

describeWithBrowser('home page in Chromium', () => {
  const shared = useBrowserFixture();
  let server: TestServer;
  let context: BrowserContext;

  beforeAll(async () => {
    // One store is enough: the HTTP test (test/flows/branding.test.ts) covers both.
    server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: shared.sink.url, BRANDING_FILE: join(dir, 'branding.json') } });
    context = await shared.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'en-US' });
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('on a 375 px phone: name, logo, branded button, Sign in, Create account, language switcher; fits, no errors', async () => {
    const problems: string[] = [];
    await recordCspViolations(context, problems);
    const page = await watchedPage(context, problems);

    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Welcome to Acme Rewards' }).waitFor();
    const signIn = page.getByRole('link', { name: 'Sign in', exact: true });
    const createAccount = page.getByRole('link', { name: 'Create account' });
    await expect(signIn.isVisible()).resolves.toBe(true);
    await expect(createAccount.isVisible()).resolves.toBe(true);
    await expect(page.getByRole('navigation', { name: 'Change language' }).getByRole('link', { name: 'Français' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Privacy' }).isVisible()).resolves.toBe(true);
    // The logo loaded from our origin, and the operator's colours reached the primary button.
    await page.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('.site-logo')?.naturalWidth ?? 0) > 0);
    const colours = await signIn.evaluate((element) => {
      const style = (globalThis as unknown as BrowserGlobals).getComputedStyle(element);
      return [style.backgroundColor, style.color];
    });
    expect(colours).toEqual(['rgb(122, 0, 25)', 'rgb(255, 255, 255)']);
    expect(await scrollsSideways(page)).toBe(false);

    // The switcher keeps the member on the home page, in the language picked.
    await page.getByRole('link', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Bienvenue sur Acme Rewards' }).waitFor();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr');
    // "Créer un compte" opens the sign-up form.
    await page.getByRole('link', { name: 'Créer un compte' }).click();
    await page.waitForURL(/\/interaction\/[^/]+\/register$/);
    await expect(page.getByLabel('Mot de passe', { exact: true }).isVisible()).resolves.toBe(true);
    expect(problems).toEqual([]);
  });
});
