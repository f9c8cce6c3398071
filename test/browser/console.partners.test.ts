// The operator console's partners in Chromium on a phone (issue 20 item 3): a partner manager signs in with password
// and authenticator app, opens a partner, creates a website client for it after fixing a refused redirect URI, and
// sees the client's secret once; the client's page never shows it again. No page scrolls sideways at 375 px or on a
// tablet, logs a console error or breaks a CSP rule. One browser for the file.
import type { Page } from 'playwright-core';
import { describeWithBrowser } from '../support/browser.ts';
import { PHONE, scrollsSideways, TABLET, useWatchedBrowser } from '../support/phone-page.ts';
import { staffWithApp, consoleSignInInBrowser } from '../support/staff.ts';
import { useMemberServer } from '../support/suite.ts';

describeWithBrowser('operator console partners in Chromium on a phone (sqlite)', () => {
  const fx = useMemberServer('sqlite');
  const phone = useWatchedBrowser();
  let page: Page;

  beforeAll(async () => {
    ({ page } = await phone.open({ viewport: PHONE, isMobile: true, hasTouch: true }));
  });

  test('a partner manager creates a partner client and sees its secret once', async () => {
    const manager = await staffWithApp(fx, ['partner-manager'], 'phone-manager');
    const partner = await fx.server.container.storage.partners.create({ name: 'Café Sol' });

    await consoleSignInInBrowser(page, fx.server.url, manager);
    // A partner manager's console opens on the partners.
    await page.waitForURL(/\/console\/partners$/);
    expect(await scrollsSideways(page)).toBe(false);

    await page.getByRole('link', { name: 'Café Sol' }).click();
    await page.waitForURL(/\/console\/partners\/[^/]+$/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Café Sol');
    await page.getByRole('link', { name: 'Add a client' }).click();
    await page.waitForURL(/\/clients\/new$/);

    await page.getByLabel('Client name').fill('Café Sol website');
    await page.getByLabel('Kind of client').selectOption('web');
    await page.getByLabel('Redirect URIs').fill('https://cafe-sol.example/callback\nhttp://cafe-sol.example/old');
    await page.getByLabel('Reason').fill('Website launch');
    await page.getByRole('button', { name: 'Create client' }).click();
    // Refused: the error names the line, the summary takes the focus, and nothing was created.
    await page.waitForSelector('#redirect_uris-error');
    expect(await page.locator('#redirect_uris-error').textContent()).toContain('Line 2: use https');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('error-summary');
    expect(await scrollsSideways(page)).toBe(false);

    await page.getByLabel('Redirect URIs').fill('https://cafe-sol.example/callback');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.waitForSelector('[data-secret]');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Client created');
    const secret = (await page.locator('[data-secret]').textContent())!.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(TABLET);
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(PHONE);

    await page.getByRole('link', { name: 'Open the client' }).click();
    await page.waitForURL(/\/console\/clients\/[^/]+$/);
    expect(await page.content()).not.toContain(secret);
    expect(await page.getByText('https://cafe-sol.example/callback').count()).toBeGreaterThan(0);
    expect(await scrollsSideways(page)).toBe(false);
    const clients = await fx.server.container.storage.clients.list({ limit: 1000 });
    const created = clients.find((client) => client.metadata.partner_id === partner.id);
    expect(created?.metadata).toMatchObject({ client_name: 'Café Sol website', client_secret: secret, redirect_uris: ['https://cafe-sol.example/callback'] });
    // The refused form's answer is a 400 page, which Chromium logs; nothing else may.
    expect(phone.problems).toEqual([expect.stringMatching(/status of 400 \(Bad Request\)/)]);
  });
});
