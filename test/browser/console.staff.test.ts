// The operator console in Chromium at a tablet's size (issue 20): a staff member signs in with password and
// authenticator app, finds a member, adjusts their points with a reason; a security analyst reads the audit log
// filtered by that member; no page scrolls sideways, logs a console error or breaks a CSP rule. One browser for
// the file.
import type { Page } from 'playwright-core';
import { describeWithBrowser } from '../support/browser.ts';
import { staffAccount, staffWithApp, consoleSignInInBrowser } from '../support/staff.ts';
import { scrollsSideways, TABLET, useWatchedBrowser } from '../support/phone-page.ts';
import { useMemberServer } from '../support/suite.ts';

describeWithBrowser('operator console in Chromium on a tablet (sqlite)', () => {
  const fx = useMemberServer('sqlite');
  const tablet = useWatchedBrowser();
  let page: Page;

  beforeAll(async () => {
    ({ page } = await tablet.open({ viewport: TABLET, hasTouch: true }));
  });

  async function signIn(on: Page, staff: { email: string; key: string }): Promise<void> {
    await consoleSignInInBrowser(on, fx.server.url, staff);
    await on.waitForURL(/\/console$/);
  }

  let adjusted: { accountId: string; email: string } | undefined;

  test('staff sign in with password and app, find a member and adjust their points with a reason', async () => {
    const agent = await staffWithApp(fx, ['support'], 'tablet-agent');
    const member = await staffAccount(fx.server, [], 'tablet-member');
    await fx.server.container.storage.profiles.update(member.accountId, { values: { given_name: 'Marta', family_name: 'Nowak' } }, new Date());

    await signIn(page, agent);
    expect(await scrollsSideways(page)).toBe(false);

    await page.getByLabel('Email, phone, member number or name').fill('Marta');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Marta Nowak' }).click();
    await page.waitForURL(/\/console\/members\//);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Marta Nowak');
    expect(await scrollsSideways(page)).toBe(false);

    await page.getByLabel('Points', { exact: true }).fill('25');
    await page.getByLabel('Reason').fill('Goodwill: store closed early');
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await page.waitForURL(/notice=applied/);
    expect(await page.getByRole('status').textContent()).toContain('The points were adjusted.');
    expect(await page.locator('[data-balance]').getAttribute('data-balance')).toBe('25');
    expect(await page.getByText('Goodwill: store closed early').count()).toBeGreaterThan(0);
    expect(await scrollsSideways(page)).toBe(false);
    expect((await fx.server.container.storage.loyalty.findMember(member.accountId))!.balance).toBe(25);
    expect(tablet.problems).toEqual([]);
    adjusted = member;
  });

  test('a security analyst reads the audit log filtered by one member and sees who adjusted the points', async () => {
    expect(adjusted).toBeDefined();
    const analyst = await staffWithApp(fx, ['security'], 'tablet-analyst');
    const { page: desk } = await tablet.open({ viewport: TABLET, hasTouch: true });
    await signIn(desk, analyst);

    await desk.getByRole('link', { name: 'Security audit log' }).click();
    await desk.waitForURL(/\/console\/audit/);
    await desk.getByLabel('Member', { exact: true }).fill(adjusted!.email);
    await desk.getByRole('button', { name: 'Filter' }).click();
    await desk.waitForURL(/member=/);
    const entries = desk.locator('[data-audit-type]');
    expect(await entries.count()).toBeGreaterThan(0);
    // Only that member's events, and the adjustment names the support agent who made it.
    const { events } = await fx.server.container.audit.list({ accountId: adjusted!.accountId, limit: 100 });
    expect(await entries.count()).toBe(events.length);
    expect(await desk.locator('[data-audit-type="points.adjusted"]').count()).toBe(1);
    expect(await desk.locator('[data-audit-type="points.adjusted"]').textContent()).toMatch(/By staff:/);
    expect(await scrollsSideways(desk)).toBe(false);
    expect(tablet.problems).toEqual([]);
  });
});
