// RP-initiated logout (with a confirmation page) and back-channel logout to partner sites.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startLogoutReceiver } from '../../support/logout-receiver.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, registerClient } from '../../support/oidc-client.ts';

describe.each(STORES)('logout (%s)', (store) => {
  let sink: SmtpSink;
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
  let config: oidc.Configuration;
  const email = uniqueEmail('logout');

  beforeAll(async () => {
    sink = await startSmtpSink();
    receiver = await startLogoutReceiver();
    server = await startTestServer({ store, env: { SMTP_URL: sink.url } });
    const client = await registerClient(server, { first_party: true, backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true });
    config = await discover(server, client);
    const ua = new UserAgent(server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(config)).url), sink, email);
  });

  afterAll(async () => {
    await server?.close();
    await sink?.close();
    receiver?.server.close();
  });

  test('the member confirms sign-out, partners get a signed logout token, and the session is gone', async () => {
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    const done = await signIn(ua, await openLoginPage(ua, request.url), email);
    const tokens = await exchange(config, done.url, request);
    const idClaims = tokens.claims()!;

    const endSession = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out', state: 'bye' });
    const confirm = await ua.follow(endSession.href);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('name="logout"');
    const after = await ua.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    expect(after.url).toBe('http://127.0.0.1:9/signed-out?state=bye');

    const deadline = Date.now() + 5000;
    while (receiver.tokens.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(receiver.tokens).toHaveLength(1);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(receiver.tokens[0]!, jwks, { issuer: server.url, audience: config.clientMetadata().client_id });
    expect(payload.sub).toBe(idClaims.sub);
    expect(payload.sid).toBe(idClaims.sid);
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.nonce).toBeUndefined();

    // The session is gone: a silent request now needs a login.
    const silent = await ua.follow((await authorizationRequest(config, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('error')).toBe('login_required');
  });

  test('declining the confirmation signs out of that client only and keeps the member signed in', async () => {
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    const done = await signIn(ua, await openLoginPage(ua, request.url), email);
    const tokens = await exchange(config, done.url, request);
    const before = receiver.tokens.length;
    const confirm = await ua.follow(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
    await ua.submit(confirm, '/session/end/confirm', {});
    const silent = await ua.follow((await authorizationRequest(config, { prompt: 'none' })).url);
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
    // oidc-provider still logs the asking client out (its grant is revoked), so it gets one logout token.
    expect(receiver.tokens.length).toBe(before + 1);
    expect(await oidc.tokenIntrospection(config, tokens.access_token).then((r) => r.active)).toBe(false);
  });

  test('an unregistered post_logout_redirect_uri is refused with an error page', async () => {
    const ua = new UserAgent(server.url);
    const request = await authorizationRequest(config);
    const done = await signIn(ua, await openLoginPage(ua, request.url), email);
    const tokens = await exchange(config, done.url, request);
    const page = await ua.follow(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' }).href);
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('evil.example');
  });
});
