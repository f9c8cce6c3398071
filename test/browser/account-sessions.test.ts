// The new account pages in Chromium at a phone's size (375 px): "Sessions and devices" lists this browser
// and another session, "End this session" ends the other one, the access history and the change-of-email form
// render; none scrolls sideways, logs a console error or breaks a CSP rule.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { confirmedMember, passwordSession } from '../support/account.ts';
import { describeWithBrowser, launchBrowser } from '../support/browser.ts';
import { useMemberServer } from '../support/suite.ts';
import type { UserAgent } from '../support/user-agent.ts';

const PHONE = { width: 375, height: 812 };

/** The little of the browser's globals the page functions use (the project compiles without lib.dom). */
interface BrowserGlobals {
  document: {
    documentElement: { scrollWidth: number };
    addEventListener(type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string; blockedURI: string }) => void): void;
  };
  innerWidth: number;
  reportCspViolation(violation: string): Promise<void>;
}

describeWithBrowser('account sessions, history and email pages in Chromium on a phone', () => {
  const fx = useMemberServer('sqlite');
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  /** The HTTP browser's cookies (session, its signature, the device cookie) in a phone-sized Chromium profile. */
  async function phoneWithCookiesOf(ua: UserAgent): Promise<void> {
    context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const url = new URL(fx.server.url);
    await context.addCookies(['_session', '_session.sig', 'device'].map((name) => ({ name, value: ua.cookie(name)!, domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Lax' as const })));
    await context.exposeBinding('reportCspViolation', (_source, violation: string) => void problems.push(violation));
    await context.addInitScript(() => {
      const globals = globalThis as unknown as BrowserGlobals;
      globals.document.addEventListener('securitypolicyviolation', (event) => void globals.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`));
    });
    page = await context.newPage();
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  }

  const scrollsSideways = () => page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as BrowserGlobals;
    return document.documentElement.scrollWidth > innerWidth;
  });

  test('lists the sessions, ends the other one, and every new page fits the phone', async () => {
    const member = await confirmedMember(fx, 'browser-sessions');
    await passwordSession(fx, member.email);
    await phoneWithCookiesOf(member.ua);

    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'Sessions and devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sessions and devices' }).waitFor();
    expect(await page.locator('[data-session]').count()).toBe(2);
    await page.getByText('This browser', { exact: true }).waitFor();
    expect(await scrollsSideways()).toBe(false);

    await page.getByRole('button', { name: 'End this session' }).click();
    await page.getByRole('status').getByText('That session has ended').waitFor();
    expect(await page.locator('[data-session]').count()).toBe(1);

    await page.getByRole('link', { name: 'See your access history' }).click();
    await page.getByRole('heading', { level: 1, name: 'Access history' }).waitFor();
    expect(await page.locator('li.settings-item').count()).toBeGreaterThan(0);
    expect(await scrollsSideways()).toBe(false);

    // The member confirmed it is them moments ago: the change-of-email form is offered.
    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'Change email' }).click();
    await page.getByLabel('New email').waitFor();
    expect(await scrollsSideways()).toBe(false);
    expect(problems).toEqual([]);
  });
});
