// "Apps and partners" in Chromium at a phone's size (375 px): reached from the security page, it lists the
// partner the member signed in to with its logo (served from our origin) and what it receives; "Stop sharing"
// goes through its confirmation page and the partner leaves the list. No page scrolls sideways, logs a console
// error or breaks a CSP rule.
import { Buffer } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signedInMember } from '../support/account.ts';
import { describeWithBrowser } from '../support/browser.ts';
import { authorizationRequest, discover, exchange, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { addSessionCookies, scrollsSideways, useWatchedBrowser } from '../support/phone-page.ts';
import { useMemberServer } from '../support/suite.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** The little of the browser's globals the page functions use (the project compiles without lib.dom). */
interface BrowserGlobals {
  document: { querySelector(selector: string): { naturalWidth: number } | null };
}

describeWithBrowser('"Apps and partners" in Chromium on a phone', () => {
  const fx = useMemberServer('sqlite');
  const phone = useWatchedBrowser();
  let logoServer: Server;

  beforeAll(async () => {
    logoServer = createServer((req, res) => void (req.url === '/logo.png' ? res.writeHead(200, { 'content-type': 'image/png' }).end(PNG) : res.writeHead(404).end()));
    await new Promise<void>((resolve) => logoServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    logoServer?.close();
  });

  test('lists the partner with its logo and what it receives, and Stop sharing removes it after the confirmation', async () => {
    const partnerId = (await fx.server.container.storage.partners.create({ name: 'Shoe Shop of the Very Long Name Street' })).id;
    const logoUri = `http://127.0.0.1:${(logoServer.address() as AddressInfo).port}/logo.png`;
    const shop = await discover(fx.server, await registerClient(fx.server, { client_name: 'Shoe Shop web', partner_id: partnerId, subject_type: 'pairwise', scope: 'openid email loyalty', logo_uri: logoUri }));
    const member = await signedInMember(fx, 'browser-apps');
    // Single sign-on at the shop from the member's browser, consenting.
    const request = await authorizationRequest(shop, { scope: 'openid email loyalty' });
    let done = await member.ua.follow(request.url);
    if (done.body.includes('/consent"')) done = await member.ua.submit(done, '/consent', { decision: 'allow' });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    await exchange(shop, done.url, request);

    const { context, page } = await phone.open();
    await addSessionCookies(context, fx.server.url, member.ua);

    await page.goto(`${fx.server.url}/account/security`);
    await page.getByRole('link', { name: 'See apps and partners' }).click();
    await page.getByRole('heading', { level: 1, name: 'Apps and partners' }).waitFor();
    const entry = page.locator(`[data-app="partner:${partnerId}"]`);
    await entry.getByRole('heading', { name: 'Shoe Shop of the Very Long Name Street' }).waitFor();
    await entry.getByText('Your member number, tier and points balance').waitFor();
    await entry.getByText(/Sharing since .* · last used /).waitFor();
    // The logo is ours to serve (the partner's address never reaches the member's browser), and it loaded.
    expect(await entry.locator('img').getAttribute('src')).toMatch(/^\/branding\/partners\//);
    expect(await page.evaluate((selector) => (globalThis as unknown as BrowserGlobals).document.querySelector(selector)?.naturalWidth ?? 0, `[data-app="partner:${partnerId}"] img`)).toBe(1);
    expect(await scrollsSideways(page)).toBe(false);

    await entry.getByRole('link', { name: /Stop sharing/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Stop sharing with Shoe Shop of the Very Long Name Street?' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('status').getByText('no longer has access').waitFor();
    expect(await page.locator(`[data-app="partner:${partnerId}"]`).count()).toBe(0);
    expect(await scrollsSideways(page)).toBe(false);
    expect(phone.problems).toEqual([]);
  });
});
