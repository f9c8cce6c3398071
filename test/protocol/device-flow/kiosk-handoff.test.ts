// Kiosk hand-off (issue 21 item 2): the kiosk's device grant, approved on the member's phone, gives the kiosk
// tokens for that visit only (no refresh token, a short access token, amr "hand-off"); the phone keeps its own
// session; a code used twice, expired or denied is refused with RFC 8628's answers and leaves nothing behind.
import { signedInMember } from '../../support/account.ts';
import { approveOnPhone, handOffPage, jwtClaims, kioskApp, pollOnce, scan } from '../../support/kiosk-handoff.ts';
import { followLink, PASSWORD, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, registerClient } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';

describe.each(STORES)('kiosk hand-off tokens (%s)', (store) => {
  const fx = useMemberServer(store);

  test('the kiosk gets tokens for the visit only: no refresh token even with offline_access, a 5-minute access token, amr with hand-off; the phone keeps its session', async () => {
    const { email, accountId } = await signedInMember(fx, 'handoff-tokens');
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email offline_access' });
    expect((await pollOnce(kiosk, device.device_code)).body.error).toBe('authorization_pending');

    const phone = new UserAgent(fx.server.url);
    const success = await approveOnPhone(phone, device.verification_uri_complete!, email);
    expect(success.status).toBe(200);
    expect(success.body).toContain('Store Kiosk');

    const tokens = await pollOnce(kiosk, device.device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.body.access_token).toBeTruthy();
    expect(tokens.body.refresh_token).toBeUndefined();
    expect(tokens.body.expires_in).toBeLessThanOrEqual(300);
    expect(tokens.body.expires_in).toBeGreaterThan(240);
    const idToken = jwtClaims(tokens.body.id_token);
    expect(idToken.sub).toBe(accountId);
    expect(idToken.amr).toEqual(['pwd', 'hand-off']);
    expect(idToken.acr).toBe('urn:loyalty:loa:1');
    // The access token says the same to an API (userinfo answers for the member meanwhile).
    const userinfo = await fetch(kiosk.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${String(tokens.body.access_token)}` } });
    expect(userinfo.status).toBe(200);
    expect(((await userinfo.json()) as { email: string }).email).toBe(email);

    // The phone's own session goes on, and its own sign-ins say nothing of the hand-off.
    const request = await authorizationRequest(fx.config, { prompt: 'none' });
    const silent = await phone.follow(request.url);
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
    const own = (await exchange(fx.config, silent.url, request)).claims()!;
    expect(own.sub).toBe(accountId);
    expect(own.amr).toEqual(['pwd']);
  });

  test('a new member signs up on the phone during the hand-off: the kiosk gets their tokens, amr email and hand-off', async () => {
    const email = uniqueEmail('handoff-sign-up');
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email' });
    const phone = new UserAgent(fx.server.url);
    const login = await phone.submit(await scan(phone, device.verification_uri_complete!), '/device', { confirm: 'yes' });
    const register = await followLink(phone, login, '/register');
    const before = fx.sink.countFor(email);
    const verify = await phone.submit(register, '/register', { email, password: PASSWORD });
    // On the phone the address is shown in full (a typo must be visible), unlike on the kiosk.
    expect(verify.body).toContain(email);
    let page = await phone.submit(verify, '/verify', { code: await fx.sink.waitForCode(email, { after: before }) });
    if (page.body.includes('/consent"')) page = await phone.submit(page, '/consent', { decision: 'allow' });
    expect(page.body).toContain('Store Kiosk');
    const tokens = await pollOnce(kiosk, device.device_code);
    expect(tokens.status).toBe(200);
    const claims = jwtClaims(tokens.body.id_token);
    expect(claims.email).toBe(email);
    expect(claims.amr).toEqual(['email', 'hand-off']);
  });

  test('a web device (not a kiosk) keeps its refresh token and usual access token lifetime', async () => {
    const { email } = await signedInMember(fx, 'handoff-tv');
    const tv = await discover(fx.server, await registerClient(fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', client_name: 'Living Room TV',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], response_types: [], redirect_uris: [], scope: 'openid email offline_access',
    }));
    const device = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid email offline_access' });
    await approveOnPhone(new UserAgent(fx.server.url), device.verification_uri_complete!, email);
    const tokens = await pollOnce(tv, device.device_code);
    expect(tokens.body.refresh_token).toBeTruthy();
    expect(tokens.body.expires_in).toBeGreaterThan(300);
    expect(jwtClaims(tokens.body.id_token).amr).toEqual(['pwd']);
  });

  test('a hand-off code used twice: the second poll is invalid_grant and ends the first tokens; the phone cannot approve it again', async () => {
    const { email } = await signedInMember(fx, 'handoff-twice');
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email' });
    await approveOnPhone(new UserAgent(fx.server.url), device.verification_uri_complete!, email);
    const first = await pollOnce(kiosk, device.device_code);
    expect(first.status).toBe(200);

    const second = await pollOnce(kiosk, device.device_code);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    // A replayed device code is a stolen one: the tokens it gave are withdrawn too (oidc-provider revokes the grant).
    const userinfo = await fetch(kiosk.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${String(first.body.access_token)}` } });
    expect(userinfo.status).toBe(401);

    // Scanning the same QR code again: refused on the phone, nothing to confirm.
    const again = await scan(new UserAgent(fx.server.url), device.verification_uri_complete!);
    expect(again.body).not.toContain('name="confirm"');
    expect(again.body).toContain('role="alert"');
    // And the kiosk's page for it is gone.
    const page = await handOffPage(fx, new UserAgent(fx.server.url), { client_id: kiosk.clientMetadata().client_id, device_code: device.device_code });
    expect(page.status).toBe(400);
    expect(page.body).toContain('This sign-in code is no longer valid');
  });

  test('denied on the phone: the kiosk gets access_denied, then nothing more; the phone is not signed in', async () => {
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email' });
    const phone = new UserAgent(fx.server.url);
    const confirm = await scan(phone, device.verification_uri_complete!);
    await phone.submit(confirm, '/device', { abort: 'yes' });
    const denied = await pollOnce(kiosk, device.device_code);
    expect(denied.status).toBe(400);
    expect(denied.body.error).toBe('access_denied');
    expect((await pollOnce(kiosk, device.device_code)).body.error).toBe('invalid_grant');
    const page = await handOffPage(fx, new UserAgent(fx.server.url), { client_id: kiosk.clientMetadata().client_id, device_code: device.device_code });
    expect(page.status).toBe(400);
    const silent = await phone.follow((await authorizationRequest(fx.config, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
  });

  test('after expiry: the kiosk hears expired_token (not invalid_grant), the phone cannot approve it, the page is gone', async () => {
    const kiosk = await kioskApp(fx);
    const device = await oidc.initiateDeviceAuthorization(kiosk, { scope: 'openid email' });
    // Rewrite the code through the store oidc-provider uses, as if it had been issued with 1 second left.
    const { DeviceCode } = fx.server.container.provider;
    const code = await DeviceCode.find(device.device_code);
    const payload = await DeviceCode.adapter.find(code!.jti);
    await DeviceCode.adapter.upsert(code!.jti, { ...payload, exp: Math.floor(Date.now() / 1000) + 1 }, 1);
    // Well past that second (the store's own expiry included).
    await new Promise((resolve) => setTimeout(resolve, 2500));

    const late = await pollOnce(kiosk, device.device_code);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('expired_token');
    const confirm = await scan(new UserAgent(fx.server.url), device.verification_uri_complete!);
    expect(confirm.body).not.toContain('name="confirm"');
    const page = await handOffPage(fx, new UserAgent(fx.server.url), { client_id: kiosk.clientMetadata().client_id, device_code: device.device_code });
    expect(page.status).toBe(400);
  });
});
