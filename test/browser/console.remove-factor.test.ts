// Support removes a member's lost authenticator app from the console in Chromium on a phone-sized screen (issue 20):
// staff sign in with password and app, open the member, pick the factor, give a reason; the member gets the email in
// their language. No page scrolls sideways, logs a console error or breaks a CSP rule. One browser for the file.
import type { Page } from 'playwright-core';
import { describeWithBrowser } from '../support/browser.ts';
import { PHONE, scrollsSideways, useWatchedBrowser } from '../support/phone-page.ts';
import { staffWithApp, consoleSignInInBrowser } from '../support/staff.ts';
import { useMemberServer } from '../support/suite.ts';

describeWithBrowser('console: removing a member\'s factor in Chromium (sqlite)', () => {
  const fx = useMemberServer('sqlite');
  const phone = useWatchedBrowser();
  let page: Page;

  beforeAll(async () => {
    ({ page } = await phone.open({ viewport: PHONE, isMobile: true, hasTouch: true }));
  });

  test('staff remove a member\'s authenticator app with a reason, and the member is emailed in their language', async () => {
    const agent = await staffWithApp(fx, ['support'], 'phone-agent');
    const member = await staffWithApp(fx, [], 'lost-app');
    const { storage } = fx.server.container;
    await storage.profiles.update(member.accountId, { values: { given_name: 'Lucía', family_name: 'Pérez' } }, new Date());
    await fx.server.container.interactions.profiles.setLocale(member.accountId, 'es');

    await consoleSignInInBrowser(page, fx.server.url, agent);
    await page.waitForURL(/\/console$/);

    await page.getByLabel('Email, phone, member number or name').fill(member.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Lucía Pérez' }).click();
    await page.waitForURL(/\/console\/members\//);
    expect(await scrollsSideways(page)).toBe(false);

    await fx.server.container.deliveries.drain();
    const before = fx.sink.countFor(member.email);
    await page.getByLabel('Factor', { exact: true }).selectOption('totp');
    await page.locator('#factor-reason').fill('Member lost the phone with the app, ticket 314');
    await page.getByRole('button', { name: 'Remove this factor' }).click();
    await page.waitForURL(/notice=factor_removed/);
    expect(await page.getByRole('status').textContent()).toContain('The factor was removed and the member was told by email.');
    expect(await page.locator('option[value="totp"]').count()).toBe(0);
    expect(await scrollsSideways(page)).toBe(false);

    await fx.server.container.deliveries.drain();
    const mail = await fx.sink.waitForMessage(member.email, { after: before });
    expect(mail.text).toContain('Se quitaron de tu cuenta la app de autenticación y sus códigos de recuperación.');
    const { events } = await fx.server.container.audit.list({ accountId: member.accountId, limit: 20 });
    expect(events.find((event) => event.type === 'factor.removed')?.details).toMatchObject({ actor: `staff:${agent.accountId}`, staff_reason: 'Member lost the phone with the app, ticket 314' });
    expect(phone.problems).toEqual([]);
  });
});
