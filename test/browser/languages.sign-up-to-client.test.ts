// A member of each market in Chromium: sign up → verify the emailed code → consent → back at the partner,
// every page in the language the partner asked for (ui_locales) even from an English browser: the right
// <html lang>, and not one English sentence of the catalogue left in the visible text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, TYPE } from '@formatjs/icu-messageformat-parser';
import type { Page } from 'playwright-core';
import { LOCALES_DIR } from '../../server/i18n/locales/index.ts';
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import type { Locale } from '../support/hosted-pages.ts';
import { PASSWORD, uniqueEmail } from '../support/member.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';

const catalogue = (tag: string) => JSON.parse(readFileSync(join(LOCALES_DIR, `${tag}.json`), 'utf8')) as Record<string, string>;
const english = catalogue('en');

/** The literal runs of an ICU message (the text between placeholders), whitespace collapsed. */
function literalRuns(message: string): string[] {
  return parse(message, { ignoreTag: true })
    .filter((element) => element.type === TYPE.literal)
    .map((element) => (element as { value: string }).value.replace(/\s+/g, ' ').trim());
}

/** English sentences (four words or more) that must not show on a page in `locale`, unless that locale says the same. */
function englishLeftovers(locale: Locale): string[] {
  const own = Object.values(catalogue(locale)).join('\n').replace(/\s+/g, ' ');
  return [...new Set(Object.values(english).flatMap(literalRuns))]
    .filter((run) => run.split(' ').filter((word) => /\p{L}/u.test(word)).length > 3 && !own.includes(run));
}

/** The page's visible text (no scripts, no hidden fields), whitespace collapsed. */
async function visibleText(page: Page): Promise<string> {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

describeWithBrowser('each market signs up in its own language in Chromium', () => {
  const shared = useBrowserFixture();

  describe.each(STORES)('(%s)', (store) => {
    if (store === 'mongo') allowFerretDbTime();
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ store, env: { SMTP_URL: shared.sink.url } });
    });
    afterAll(async () => server?.close());

    test.each<Locale>(['es', 'pt-BR', 'fr', 'pl', 'en'])('%s: sign-up → verification → consent → partner, all in that language', async (locale) => {
      const client = await registerClient(server, { client_name: 'Partner Shop', redirect_uris: [shared.callback.url] });
      const config = await discover(server, client);
      const request = await authorizationRequest(config, { redirect_uri: shared.callback.url, scope: 'openid email', ui_locales: locale });
      const email = uniqueEmail(`walk-${locale}`);
      const forbidden = locale === 'en' ? [] : englishLeftovers(locale);
      if (locale !== 'en') expect(forbidden.length).toBeGreaterThan(100);
      // On the English walk the same check must fire: proof it reads the pages' text, not nothing.
      const control = locale === 'en' ? englishLeftovers('es') : [];
      let controlHits = 0;

      // An English browser: the partner's ui_locales must win over Accept-Language.
      const context = await shared.browser.newContext({ locale: 'en-US', viewport: { width: 375, height: 740 } });
      const page = await context.newPage();
      const seen: string[] = [];
      const problems: string[] = [];
      async function check(step: string) {
        await page.locator('h1').first().waitFor();
        const lang = await page.getAttribute('html', 'lang');
        if (lang !== locale) problems.push(`${step}: <html lang="${lang}">`);
        const text = await visibleText(page);
        for (const sentence of forbidden) if (text.includes(sentence)) problems.push(`${step}: English "${sentence}"`);
        controlHits += control.filter((sentence) => text.includes(sentence)).length;
        seen.push(step);
      }
      try {
        await page.goto(request.url);
        await check('sign-in');
        await page.locator('a[href$="/register"]').click();
        await check('sign-up');
        await page.locator('#email').fill(email);
        await page.locator('#password').fill(PASSWORD);
        await page.locator('form .button-primary').first().click();
        await page.locator('#code').waitFor();
        await check('verification');
        await page.locator('#code').fill(await shared.sink.waitForCode(email));
        await page.locator('form .button-primary').first().click();
        // Verified: either signed in at once, or asked for the password once more.
        await page.locator('#password, button[name="decision"][value="allow"]').first().waitFor();
        if (await page.locator('#password').count()) {
          await check('sign-in after verification');
          await page.locator('#password').fill(PASSWORD);
          await page.locator('form .button-primary').first().click();
        }
        await page.locator('button[name="decision"][value="allow"]').waitFor();
        await check('consent');
        await page.locator('button[name="decision"][value="allow"]').click();
        await page.waitForURL((url) => url.href.startsWith(shared.callback.url));
      } finally {
        await context.close();
      }
      expect(seen).toEqual(expect.arrayContaining(['sign-in', 'sign-up', 'verification', 'consent']));
      expect(problems).toEqual([]);
      if (locale === 'en') expect(controlHits).toBeGreaterThan(3);
    });
  });
});
