// The operator console in Chromium at a tablet's size (issue 20): a staff member signs in with password and
// authenticator app, finds a member, adjusts their points with a reason; no page scrolls sideways, logs a
// console error or breaks a CSP rule. One browser for the file.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeWithBrowser, launchBrowser } from '../support/browser.ts';
import { staffAccount, staffWithApp } from '../support/staff.ts';
import { PASSWORD } from '../support/member.ts';
import { useMemberServer } from '../support/suite.ts';
import { totpCode } from '../support/totp.ts';

const TABLET = { width: 768, height: 1024 };

/** The little of the browser's globals the page functions use (the project compiles without lib.dom). */
interface BrowserGlobals {
  document: {
    documentElement: { scrollWidth: number };
    addEventListener(type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string; blockedURI: string }) => void): void;
  };
  innerWidth: number;
  reportCspViolation(violation: string): Promise<void>;
}

describeWithBrowser('operator console in Chromium on a tablet (sqlite)', () => {
  const fx = useMemberServer('sqlite');
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: TABLET, hasTouch: true });
    await context.exposeBinding('reportCspViolation', (_source, violation: string) => void problems.push(violation));
    await context.addInitScript(() => {
      const globals = globalThis as unknown as BrowserGlobals;
      globals.document.addEventListener('securitypolicyviolation', (event) => void globals.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`));
    });
    page = await context.newPage();
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  const scrollsSideways = () => page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as BrowserGlobals;
    return document.documentElement.scrollWidth > innerWidth;
  });

  test('staff sign in with password and app, find a member and adjust their points with a reason', async () => {
    const agent = await staffWithApp(fx, ['support'], 'tablet-agent');
    const member = await staffAccount(fx.server, [], 'tablet-member');
    await fx.server.container.storage.profiles.update(member.accountId, { values: { given_name: 'Marta', family_name: 'Nowak' } }, new Date());

    await page.goto(`${fx.server.url}/console`);
    await page.getByLabel('Email').fill(agent.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    // The app's code of the next time step: the enrolment spent the current one.
    await page.locator('#code').fill(totpCode(agent.key, Date.now() + 30_000));
    await page.locator('#code').press('Enter');
    await page.waitForURL(/\/console$/);
    expect(await scrollsSideways()).toBe(false);

    await page.getByLabel('Email, phone, member number or name').fill('Marta');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Marta Nowak' }).click();
    await page.waitForURL(/\/console\/members\//);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Marta Nowak');
    expect(await scrollsSideways()).toBe(false);

    await page.getByLabel('Points', { exact: true }).fill('25');
    await page.getByLabel('Reason').fill('Goodwill: store closed early');
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await page.waitForURL(/notice=applied/);
    expect(await page.getByRole('status').textContent()).toContain('The points were adjusted.');
    expect(await page.locator('[data-balance]').getAttribute('data-balance')).toBe('25');
    expect(await page.getByText('Goodwill: store closed early').count()).toBeGreaterThan(0);
    expect(await scrollsSideways()).toBe(false);
    expect((await fx.server.container.storage.loyalty.findMember(member.accountId))!.balance).toBe(25);
    expect(problems).toEqual([]);
  });
});
