// A passer-by photographs the kiosk's hand-off screen (QR code and short code): they hold the user code, never the
// device code. With it they can neither collect the kiosk's tokens nor open its hand-off page, and once the member
// has approved, the code is spent: typing it later is refused and the kiosk still gets the member's tokens.
import { signedInMember } from '../support/account.ts';
import { approveOnPhone, handOffPage, jwtClaims, kioskApp, pollOnce, scan } from '../support/kiosk-handoff.ts';
import { UserAgent } from '../support/member.ts';
import { discover, oidc, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

/** The text a camera sees: the page without tags, hidden fields and the QR's drawing. */
function visibleText(html: string): string {
  return html.replace(/<svg[\s\S]*?<\/svg>/g, '').replace(/<input type="hidden"[^>]*>/g, '').replace(/<[^>]+>/g, ' ');
}

describe.each(STORES)('kiosk hand-off: a passer-by with a photo of the screen (%s)', (store) => {
  const fx = useMemberServer(store);

  test('the hand-off page shows the QR code and the short code, and the device code nowhere a camera or a URL would catch it', async () => {
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email', ui_locales: 'es' });
    const page = await handOffPage(fx, new UserAgent(fx.server.url), { client_id: kiosk.clientMetadata().client_id, device_code: device.device_code });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.url).not.toContain(device.device_code);
    // In the language the kiosk app asked for.
    expect(page.body).toContain('<html lang="es">');
    expect(page.body).toContain('Continúa en tu teléfono');
    expect(page.body).toMatch(/<figure class="qr" aria-label="[^"]+"><svg /);
    expect(page.body).toContain(device.user_code);
    expect(page.body).toContain(`${fx.server.url}/device`);
    expect(visibleText(page.body)).not.toContain(device.device_code);
    for (const [, href] of page.body.matchAll(/(?:href|action|src)="([^"]*)"/g)) expect(href).not.toContain(device.device_code);
    // Its language switcher posts the page again (the device code in the form's body, never in its link) and sets no
    // cookie: the next person at the kiosk starts in the kiosk app's language.
    const french = await new UserAgent(fx.server.url).submit(page, '/kiosk/handoff', { lang: 'fr' });
    expect(french.body).toContain('<html lang="fr">');
    expect(french.body).toContain('Continuez sur votre téléphone');
    expect(french.headers.getSetCookie()).toEqual([]);
  });

  test('the user code gets no tokens and no hand-off page; the page refuses other clients\' codes and devices that are not kiosks alike', async () => {
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email' });
    const clientId = kiosk.clientMetadata().client_id;
    const compact = device.user_code.replace('-', '');
    for (const guess of [device.user_code, compact]) {
      const polled = await pollOnce(kiosk, guess);
      expect(polled.status).toBe(400);
      expect(polled.body.error).toBe('invalid_grant');
      const page = await handOffPage(fx, new UserAgent(fx.server.url), { client_id: clientId, device_code: guess });
      expect(page.status).toBe(400);
      expect(page.body).not.toContain(device.user_code);
    }
    // Another kiosk's client id with this code: the same refusal.
    const other = await kioskApp(fx);
    const foreign = await handOffPage(fx, new UserAgent(fx.server.url), { client_id: other.clientMetadata().client_id, device_code: device.device_code });
    expect(foreign.status).toBe(400);
    // A device client that is not a kiosk (a TV) has no hand-off page.
    const tv = await discover(fx.server, await registerClient(fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', client_name: 'Living Room TV',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [], scope: 'openid email',
    }));
    const tvDevice = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    expect((await handOffPage(fx, new UserAgent(fx.server.url), { client_id: tv.clientMetadata().client_id, device_code: tvDevice.device_code })).status).toBe(400);
    // The real code still waits for the member.
    expect((await pollOnce(kiosk, device.device_code)).body.error).toBe('authorization_pending');
  });

  test('after the member approved, the photographed code is refused on the passer-by\'s phone and the kiosk gets the member\'s tokens', async () => {
    const { email, accountId } = await signedInMember(fx, 'handoff-passer-by');
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email' });
    expect((await approveOnPhone(new UserAgent(fx.server.url), device.verification_uri_complete!, email)).status).toBe(200);

    const passerBy = new UserAgent(fx.server.url);
    const scanned = await scan(passerBy, device.verification_uri_complete!);
    expect(scanned.body).not.toContain('name="confirm"');
    expect(scanned.body).toContain('role="alert"');
    // Typed by hand on the code page: the same.
    const input = await passerBy.follow(device.verification_uri);
    const typed = await passerBy.submit(input, '/device', { user_code: device.user_code });
    expect(typed.body).not.toContain('name="confirm"');

    const tokens = await pollOnce(kiosk, device.device_code);
    expect(tokens.status).toBe(200);
    expect(jwtClaims(tokens.body.id_token).sub).toBe(accountId);
  });
});
