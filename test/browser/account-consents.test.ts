// "Privacy choices" in Chromium at a phone's size (375 px): reached from the account page, one tap allows a
// purpose and one withdraws it, each change lists a receipt whose download is the signed JWS; nothing scrolls
// sideways, logs a console error or breaks a CSP rule.
import { readFile } from 'node:fs/promises';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { signedInMember } from '../support/account.ts';
import { describeWithBrowser } from '../support/browser.ts';
import { addSessionCookies, PHONE, scrollsSideways, useWatchedBrowser } from '../support/phone-page.ts';
import { useMemberServer } from '../support/suite.ts';

describeWithBrowser('Privacy choices in Chromium on a phone', () => {
  const fx = useMemberServer('sqlite');
  const phone = useWatchedBrowser();

  test('allow and withdraw with one tap each, download the signed receipt, and the page fits the phone', async () => {
    const member = await signedInMember(fx, 'browser-consents');
    const { context, page } = await phone.open({ viewport: PHONE, isMobile: true, hasTouch: true, acceptDownloads: true });
    await addSessionCookies(context, fx.server.url, member.ua);

    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'Privacy choices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Privacy choices' }).waitFor();
    expect(await page.locator('[data-purpose]').count()).toBe(5);
    expect(await scrollsSideways(page)).toBe(false);

    const email = page.locator('[data-purpose="marketing_email"]');
    await email.getByRole('button', { name: 'Allow', exact: true }).tap();
    await page.getByRole('status').getByText('Your choice is saved.').waitFor();
    expect(await email.getAttribute('data-state')).toBe('granted');
    await email.getByText('Allowed (version 1,').waitFor();
    await email.getByRole('button', { name: 'Withdraw' }).tap();
    await page.getByRole('status').getByText('Your choice is saved.').waitFor();
    expect(await page.locator('[data-purpose="marketing_email"]').getAttribute('data-state')).toBe('refused');
    expect(await page.locator('[data-receipt]').count()).toBe(2);
    expect(await scrollsSideways(page)).toBe(false);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-receipt]').first().getByRole('link', { name: 'Download' }).tap()]);
    const receipt = JSON.parse(await readFile((await download.path())!, 'utf8')) as { jws: string };
    const { payload } = await jwtVerify(receipt.jws, createRemoteJWKSet(new URL(`${fx.server.url}/jwks`)), { issuer: fx.server.url });
    expect(payload).toMatchObject({ piiPrincipalId: member.accountId, services: [expect.objectContaining({ purposes: [expect.objectContaining({ purposeId: 'marketing_email', consentGranted: false })] })] });
    expect(phone.problems).toEqual([]);
  });
});
