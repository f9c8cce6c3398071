// Kiosk mode in Chromium: on a kiosk client's sign-in page the served countdown script (strict CSP, no inline
// script) counts KIOSK_IDLE_SECONDS down on screen and then ends the flow, which brings the kiosk back to the
// client's start (its redirect_uri with access_denied); touch targets are larger than on other pages.
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describeWithBrowser('kiosk mode in Chromium', () => {
  const shared = useBrowserFixture();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: shared.sink.url, KIOSK_IDLE_SECONDS: '3' } });
  });
  afterAll(async () => server?.close());

  test('the countdown shows, ticks and returns the kiosk to the client when it runs out', async () => {
    const kiosk = await registerClient(server, { first_party: true, enrolment_channel: 'kiosk', redirect_uris: [shared.callback.url] });
    const web = await registerClient(server, { first_party: true, redirect_uris: [shared.callback.url] });
    const context = await shared.browser.newContext({ viewport: { width: 1080, height: 1920 } }); // a portrait touch screen
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));

    // A web client's page first: the usual touch targets.
    await page.goto((await authorizationRequest(await discover(server, web), { redirect_uri: shared.callback.url })).url);
    const webButton = await page.getByRole('button', { name: 'Sign in', exact: true }).boundingBox();

    const request = await authorizationRequest(await discover(server, kiosk), { redirect_uri: shared.callback.url });
    await page.goto(request.url);
    await page.getByRole('heading', { name: 'This is a shared device' }).waitFor();
    await expect(page.evaluate('document.body.className')).resolves.toBe('kiosk');
    const kioskButton = await page.getByRole('button', { name: 'Sign in', exact: true }).boundingBox();
    expect(kioskButton!.height).toBeGreaterThan(webButton!.height);
    expect(kioskButton!.height).toBeGreaterThanOrEqual(64);

    const timer = page.getByRole('timer');
    await expect(timer.textContent()).resolves.toMatch(/^0:0[0-3]$/);
    // It ticks (the script runs under the CSP) ...
    await page.waitForFunction(() => {
      const element = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document.getElementById('kiosk-countdown');
      return element !== null && element.textContent !== '0:03';
    });
    // ... and at zero it ends the flow: back at the client's start, told the member left.
    await page.waitForURL((url) => url.href.startsWith(shared.callback.url), { timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    expect(problems).toEqual([]);
    await context.close();
  });
});
