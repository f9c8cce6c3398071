// Kiosk hand-off for a member without a phone (issue 21 item 2): sign-up on the kiosk by email and code, with the
// address shown only masked, no passkey made there, and a link emailed
// to finish on the member's own phone. And a passkey is offered on the phone of a hand-off, never on the kiosk.
import { signedInMember } from '../support/account.ts';
import { scan } from '../support/kiosk-handoff.ts';
import { followLink, openLoginPage, PASSWORD, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { type MemberServer, useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

async function kioskClient(fx: MemberServer) {
  return discover(fx.server, await registerClient(fx.server, { first_party: true, enrolment_channel: 'kiosk' }));
}

const interactionOf = (url: string) => /\/interaction\/[^/?]+/.exec(url)?.[0] ?? '';

describe.each(STORES)('kiosk hand-off: enrolment on the kiosk (%s)', (store) => {
  const fx = useMemberServer(store);

  test('sign-up on the kiosk: no passkey sign-up, the address shown masked, and a link to finish on the phone once the code is confirmed', async () => {
    const email = uniqueEmail('kiosk-enrol');
    const kiosk = new UserAgent(fx.server.url);
    const login = await openLoginPage(kiosk, (await authorizationRequest(await kioskClient(fx))).url);
    const register = await followLink(kiosk, login, '/register');
    expect(register.body).not.toContain('/register/passkey');
    // Asked for anyway: the password form, nothing stored or sent.
    const passkeyForm = await kiosk.request(`${fx.server.url}${interactionOf(register.url)}/register/passkey`);
    expect(passkeyForm.status).toBe(303);
    expect(passkeyForm.headers.get('location')).toMatch(/\/register$/);

    const before = fx.sink.countFor(email);
    const verify = await kiosk.submit(register, '/register', { email, password: PASSWORD });
    expect(verify.url).toMatch(/\/verify$/);
    expect(verify.body).not.toContain(email);
    expect(verify.body).not.toContain('@example.com');
    expect(verify.body).toContain(`${email[0]}***@e***.com`);
    expect(verify.body).toContain('a link to finish on your own phone');
    const code = await fx.sink.waitForCode(email, { after: before });

    const done = await kiosk.submit(verify, '/verify', { code });
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const mail = await fx.sink.waitForMessage(email, { after: before + 1 });
    expect(mail.text).toContain('Finish setting up your account on your phone');
    expect(mail.text).toContain(`${fx.server.url}/account/security`);
    const member = await fx.server.container.storage.accounts.findByEmail(email);
    expect(member?.emailVerified).toBe(true);
  });

  test('a sign-up on a web client gets no such link and sees the address in full', async () => {
    const email = uniqueEmail('web-enrol');
    const web = new UserAgent(fx.server.url);
    const register = await followLink(web, await openLoginPage(web, (await authorizationRequest(fx.config)).url), '/register');
    expect(register.body).toContain('/register/passkey');
    const before = fx.sink.countFor(email);
    const verify = await web.submit(register, '/register', { email, password: PASSWORD });
    expect(verify.body).toContain(email);
    expect(verify.body).not.toContain('a link to finish on your own phone');
    await web.submit(verify, '/verify', { code: await fx.sink.waitForCode(email, { after: before }) });
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(email)).toBe(before + 1);
  });

  test('a password sign-in on the kiosk never offers a passkey; on the phone of a hand-off it does', async () => {
    const { email } = await signedInMember(fx, 'kiosk-no-passkey');
    const kiosk = new UserAgent(fx.server.url);
    const login = await openLoginPage(kiosk, (await authorizationRequest(await kioskClient(fx))).url);
    const done = await kiosk.submit(login, '/login', { email, password: PASSWORD, webauthn: '1' });
    expect(done.url).not.toContain('/passkey/offer');
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);

    const app = await discover(fx.server, await registerClient(fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', enrolment_channel: 'kiosk', client_name: 'Store Kiosk',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [], scope: 'openid email',
    }));
    const device = await oidc.initiateDeviceAuthorization(app, { scope: 'openid email' });
    const phone = new UserAgent(fx.server.url);
    const phoneLogin = await phone.submit(await scan(phone, device.verification_uri_complete!), '/device', { confirm: 'yes' });
    const offer = await phone.submit(phoneLogin, '/login', { email, password: PASSWORD, webauthn: '1' });
    expect(offer.url).toContain('/passkey/offer');
  });
});
