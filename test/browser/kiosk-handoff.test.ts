// Kiosk hand-off in Chromium with two browsers: the kiosk shows its hand-off page (QR code of the verification
// link and the short code); the member's phone (375 px) opens that link, signs in with the password and
// approves; the kiosk app's poll then receives tokens for the visit (amr with "hand-off").
import QRCode from 'qrcode';
import { describeWithBrowser, useBrowserFixture } from '../support/browser.ts';
import { jwtClaims, kioskApp, pollOnce } from '../support/kiosk-handoff.ts';
import { openLoginPage, PASSWORD, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, oidc, registerClient } from '../support/oidc-client.ts';
import type { MemberServer } from '../support/suite.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describeWithBrowser('kiosk hand-off in Chromium', () => {
  const shared = useBrowserFixture();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite', env: { SMTP_URL: shared.sink.url } });
  });
  afterAll(async () => server?.close());

  test('the kiosk shows the QR code and the code, the phone signs in and approves, the kiosk receives the tokens', async () => {
    const email = uniqueEmail('handoff-browser');
    const web = await discover(server, await registerClient(server, { first_party: true }));
    const ua = new UserAgent(server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(web)).url), shared.sink, email);
    const kioskConfig = await kioskApp({ server } as MemberServer);
    const device = await oidc.initiateDeviceAuthorization(kioskConfig, { scope: 'openid email' });

    // The kiosk app opens its hand-off page with a form post (the device code never in a URL).
    const kiosk = await shared.browser.newContext({ viewport: { width: 1080, height: 1920 } });
    const screen = await kiosk.newPage();
    const problems: string[] = [];
    screen.on('pageerror', (e) => problems.push(e.message));
    await screen.setContent(`<form method="post" action="${server.url}/kiosk/handoff"><input name="client_id" value="${kioskConfig.clientMetadata().client_id}"><input name="device_code" value="${device.device_code}"></form>`);
    await Promise.all([screen.waitForURL(`${server.url}/kiosk/handoff`), screen.evaluate('document.forms[0].submit()')]);
    await screen.getByRole('heading', { name: 'Continue on your phone' }).waitFor();
    expect(await screen.locator('#user-code').textContent()).toBe(device.user_code);
    const qr = screen.getByRole('figure', { name: 'QR code that opens the sign-in page on your phone' });
    expect(await qr.isVisible()).toBe(true);
    // The QR code holds exactly the verification link with this code (the same drawing for the same text).
    const expected = await QRCode.toString(device.verification_uri_complete!, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    const drawing = (svg: string) => [...svg.matchAll(/ d="([^"]+)"/g)].map((m) => m[1]);
    expect(drawing(await qr.innerHTML())).toEqual(drawing(expected));

    // The member's phone: the link from the QR code.
    const phoneContext = await shared.browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    const phone = await phoneContext.newPage();
    phone.on('pageerror', (e) => problems.push(e.message));
    await phone.goto(device.verification_uri_complete!);
    await phone.getByText(device.user_code).waitFor();
    await phone.getByRole('button', { name: 'Continue' }).click();
    await phone.getByLabel('Email').fill(email);
    await phone.getByLabel('Password').fill(PASSWORD);
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    // (The passkey offer on the phone and never on the kiosk: test/flows/kiosk-handoff-passkeys.test.ts, over HTTP.)
    await phone.getByRole('button', { name: 'Allow' }).click();
    await phone.getByRole('heading', { name: 'You are signed in on the device' }).waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    const tokens = await pollOnce(kioskConfig, device.device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).toBeUndefined();
    const claims = jwtClaims(tokens.body.id_token);
    expect(claims.email).toBe(email);
    expect(claims.amr).toEqual(['pwd', 'hand-off']);
    expect(problems).toEqual([]);
    await phoneContext.close();
    await kiosk.close();
  });
});
