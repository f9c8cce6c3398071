// Device authorization grant (kiosks, TVs): the member enters the user code on the hosted page.
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, oidc, registerClient } from '../../support/oidc-client.ts';

describe.each(STORES)('device authorization grant (%s)', (store) => {
  let sink: SmtpSink;
  let server: TestServer;
  let config: oidc.Configuration;
  const email = uniqueEmail('kiosk');

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ store, env: { SMTP_URL: sink.url } });
    const client = await registerClient(server, {
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      client_name: 'Store Kiosk',
    });
    config = await discover(server, client);
    // Sign the member up once through a web client.
    const web = await registerClient(server, { first_party: true });
    const webConfig = await discover(server, web);
    const ua = new UserAgent(server.url);
    const login = await ua.follow((await authorizationRequest(webConfig)).url);
    await signUpAndVerify(ua, login, sink, email);
  });

  afterAll(async () => {
    await server?.close();
    await sink?.close();
  });

  test('kiosk gets tokens after the member enters the code, confirms it and signs in', async () => {
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email' });
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const ua = new UserAgent(server.url);
    const input = await ua.follow(device.verification_uri);
    expect(input.status).toBe(200);
    expect(input.body).toContain('name="user_code"');
    expect(input.body).toMatch(/<label[^>]+for=/);
    // Members type codes sloppily: lower case and a space instead of the dash are accepted.
    const confirm = await ua.submit(input, '/device', { user_code: device.user_code.toLowerCase().replace('-', ' ') });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Store Kiosk');
    expect(confirm.body).toContain(device.user_code);
    const login = await ua.submit(confirm, '/device', { confirm: 'yes' });
    expect(login.url).toContain('/interaction/');
    const success = await signIn(ua, login, email);
    expect(success.status).toBe(200);
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
    expect(tokens.claims()!.acr).toBe('urn:loyalty:loa:1');
    expect(tokens.access_token).toBeTruthy();
  });

  test('a wrong user code is refused on the page', async () => {
    await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const ua = new UserAgent(server.url);
    const input = await ua.follow(`${server.url}/device`);
    const result = await ua.submit(input, '/device', { user_code: 'BCDF-GHJK' });
    expect(result.body).toContain('role="alert"');
    expect(result.body).toContain('name="user_code"');
  });

  test('polling before approval says authorization_pending; cancelling denies', async () => {
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const response = await fetch(config.serverMetadata().token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: config.clientMetadata().client_id }),
    });
    expect(((await response.json()) as { error: string }).error).toBe('authorization_pending');

    const ua = new UserAgent(server.url);
    const confirm = await ua.follow(device.verification_uri_complete!);
    expect(confirm.body).toContain(device.user_code);
    await ua.submit(confirm, '/device', { abort: 'yes' });
    await expect(oidc.pollDeviceAuthorizationGrant(config, device)).rejects.toMatchObject({ error: 'access_denied' });
  });
});
