// The new account pages in Chromium at a phone's size (375 px): "Sessions and devices" lists this browser
// and another session, "End this session" ends the other one, the access history and the change-of-email form
// render; none scrolls sideways, logs a console error or breaks a CSP rule.
import type { Page } from 'playwright-core';
import { confirmedMember, passwordSession } from '../support/account.ts';
import { describeWithBrowser } from '../support/browser.ts';
import { addSessionCookies, scrollsSideways, useWatchedBrowser } from '../support/phone-page.ts';
import { useMemberServer } from '../support/suite.ts';
import type { UserAgent } from '../support/user-agent.ts';

describeWithBrowser('account sessions, history and email pages in Chromium on a phone', () => {
  const fx = useMemberServer('sqlite');
  const phone = useWatchedBrowser();
  let page: Page;

  /** The HTTP browser's cookies (session, its signature, the device cookie) in a phone-sized Chromium profile. */
  async function phoneWithCookiesOf(ua: UserAgent): Promise<void> {
    const opened = await phone.open();
    page = opened.page;
    await addSessionCookies(opened.context, fx.server.url, ua);
  }

  test('lists the sessions, ends the other one, and every new page fits the phone', async () => {
    const member = await confirmedMember(fx, 'browser-sessions');
    await passwordSession(fx, member.email);
    await phoneWithCookiesOf(member.ua);

    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'Sessions and devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sessions and devices' }).waitFor();
    expect(await page.locator('[data-session]').count()).toBe(2);
    await page.getByText('This browser', { exact: true }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);

    await page.getByRole('button', { name: 'End this session' }).click();
    await page.getByRole('status').getByText('That session has ended').waitFor();
    expect(await page.locator('[data-session]').count()).toBe(1);

    await page.getByRole('link', { name: 'See your access history' }).click();
    await page.getByRole('heading', { level: 1, name: 'Access history' }).waitFor();
    expect(await page.locator('li.settings-item').count()).toBeGreaterThan(0);
    expect(await scrollsSideways(page)).toBe(false);

    // The member confirmed it is them moments ago: the change-of-email form is offered.
    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'Change email' }).click();
    await page.getByLabel('New email').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    expect(phone.problems).toEqual([]);
  });
});
