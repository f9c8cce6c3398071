// "Merge another account" in Chromium at a phone's size (375 px): from the account page, the member names their
// other account and its password, reads what will move, confirms, and sees the merged balance; no page scrolls
// sideways, logs a console error or breaks a CSP rule.
import type { Page } from 'playwright-core';
import { confirmedMember, signedInMember } from '../support/account.ts';
import { describeWithBrowser } from '../support/browser.ts';
import { PASSWORD } from '../support/member.ts';
import { addSessionCookies, scrollsSideways, useWatchedBrowser } from '../support/phone-page.ts';
import { useMemberServer } from '../support/suite.ts';

describeWithBrowser('merging another account in Chromium on a phone', () => {
  const fx = useMemberServer('sqlite');
  const phone = useWatchedBrowser();

  test('names the other account, proves it by password, confirms, and sees the merged balance', async () => {
    const member = await confirmedMember(fx, 'browser-merge');
    const other = await signedInMember(fx, 'browser-merge-other');
    await fx.server.container.loyalty.ensureMember(other.accountId);
    expect((await fx.server.container.loyalty.adjust({ accountId: other.accountId, points: 75, partnerId: null, reason: 'test balance', idempotencyKey: `test:${other.accountId}` })).ok).toBe(true);
    const opened = await phone.open();
    const page: Page = opened.page;
    await addSessionCookies(opened.context, fx.server.url, member.ua);

    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'Merge another account into this one' }).click();
    await page.getByRole('heading', { level: 1, name: 'Merge another account' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await page.getByLabel('Email, mobile number or member number of the other account').fill(other.email);
    await page.getByLabel('Password of the other account').fill(PASSWORD);
    await page.getByRole('button', { name: 'Check password' }).click();

    await page.getByRole('heading', { level: 1, name: 'Check what will move' }).waitFor();
    await page.getByText('75 points move to this account. Your balance will be 75 points.').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await page.getByRole('button', { name: 'Merge accounts' }).click();

    await page.getByRole('heading', { level: 1, name: 'Accounts merged' }).waitFor();
    await page.getByText('75 points were moved. Your balance is now 75 points.').waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    expect(phone.problems).toEqual([]);
  });
});
