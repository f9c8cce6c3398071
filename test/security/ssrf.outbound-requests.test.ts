// Threat: server-side request forgery. URLs that partners register (back-channel logout, jwks_uri,
// sector_identifier_uri), a redirect they answer with, or a DNS name they control could make the identity
// provider call into its own network (cloud metadata at 169.254.169.254, admin ports on 10.x). Every
// outbound request goes through one guard, in tests as in production: private, link-local and special-use
// targets are refused after DNS resolution, redirects are never followed, loopback only outside production.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createOutboundClient, operatorTargets, OutboundRequestRefused, partnerTargets, type Resolve } from '../../server/security/outbound/outbound-fetch.ts';
import { createWebhookSmsSender } from '../../server/sms/webhook-sms-sender.ts';
import { signedInMember } from '../support/account.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../support/logout-receiver.ts';
import { signIn, type UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET, startTestServer, STORES, type TestServer } from '../support/test-server.ts';

const development = partnerTargets(false);
const production = partnerTargets(true);

/** The refusal's reason, or 'allowed' with the status when the request went out. */
async function outcome(promise: Promise<Response>): Promise<string> {
  try {
    const response = await promise;
    await response.body?.cancel();
    return `allowed ${response.status}`;
  } catch (error) {
    return error instanceof OutboundRequestRefused ? error.reason : `failed ${(error as Error).message}`;
  }
}

describe('outbound requests: what the guard refuses', () => {
  let target: Server;
  let base: string;
  let port: number;
  const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    target = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      if (req.url === '/to-private') return void res.writeHead(307, { location: 'http://10.0.0.1/latest/meta-data/' }).end();
      if (req.url === '/to-loopback') return void res.writeHead(302, { location: `${base}/plain` }).end();
      if (req.url === '/big') return void res.end('x'.repeat(development.maxResponseBytes + 1));
      res.end('ok');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    port = (target.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => target?.close());

  test('private, link-local, carrier-NAT and other special-use addresses are refused', async () => {
    const client = createOutboundClient(development);
    for (const url of ['http://10.0.0.1/', 'http://172.16.5.4/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data/', 'http://100.64.0.1/', 'http://0.0.0.0/', 'http://[fd00::1]/', 'http://[fe80::1]/', 'http://[::]/']) {
      expect([url, await outcome(client.fetch(url))]).toEqual([url, 'special_use_address']);
    }
    await client.close();
  });

  test('IPv6-mapped IPv4 addresses are judged as the IPv4 address they carry', async () => {
    const dev = createOutboundClient(development);
    const prod = createOutboundClient(production);
    expect(await outcome(dev.fetch('http://[::ffff:10.0.0.1]/'))).toBe('special_use_address');
    expect(await outcome(dev.fetch('http://[::ffff:a9fe:a9fe]/'))).toBe('special_use_address');
    // The deprecated IPv4-compatible form (::127.0.0.1) is refused outright.
    expect(await outcome(dev.fetch('http://[::7f00:1]/'))).toBe('special_use_address');
    expect(await outcome(prod.fetch('https://[::ffff:127.0.0.1]/'))).toBe('loopback_address');
    expect(await outcome(dev.fetch(`http://[::ffff:127.0.0.1]:${port}/plain`))).toBe('allowed 200');
    await Promise.all([dev.close(), prod.close()]);
  });

  test('a redirect is never followed, whether it points to a private address or back to loopback', async () => {
    const client = createOutboundClient(development);
    expect(await outcome(client.fetch(`${base}/to-private`))).toBe('redirect');
    const before = seen.length;
    expect(await outcome(client.fetch(`${base}/to-loopback`))).toBe('redirect');
    expect(seen.slice(before).map((request) => request.path)).toEqual(['/to-loopback']);
    await client.close();
  });

  test('a host name that resolves to a private address is refused, even when it also has a public one', async () => {
    const answers: Record<string, Array<{ address: string; family: number }>> = {
      'metadata.partner.test': [{ address: '169.254.169.254', family: 4 }],
      'mixed.partner.test': [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.5', family: 4 }],
      'v6.partner.test': [{ address: 'fd12:3456::1', family: 6 }],
    };
    const resolve: Resolve = async (hostname) => answers[hostname] ?? [];
    const client = createOutboundClient(development, { resolve });
    for (const host of Object.keys(answers)) {
      expect([host, await outcome(client.fetch(`http://${host}/backchannel`, { method: 'POST', body: 'logout_token=x' }))]).toEqual([host, 'special_use_address']);
      expect(await client.targetProblem(`http://${host}/backchannel`)).toMatch(/private, link-local or special-use address/);
    }
    await client.close();
  });

  test('the request is made to the address that was checked, under the name that was asked', async () => {
    const resolve: Resolve = async (hostname) => (hostname === 'receiver.partner.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const client = createOutboundClient(development, { resolve });
    const before = seen.length;
    expect(await outcome(client.fetch(`http://receiver.partner.test:${port}/plain`))).toBe('allowed 200');
    expect(seen.slice(before).map((request) => request.headers.host)).toEqual([`receiver.partner.test:${port}`]);
    await client.close();
  });

  test('loopback receivers are allowed in development and test, refused in production (which also wants https)', async () => {
    const dev = createOutboundClient(development);
    const prod = createOutboundClient(production);
    expect(await outcome(dev.fetch(`${base}/plain`))).toBe('allowed 200');
    expect(await outcome(dev.fetch(`http://localhost:${port}/plain`))).toBe('allowed 200');
    expect(await outcome(prod.fetch(`https://127.0.0.1:${port}/plain`))).toBe('loopback_address');
    expect(await outcome(prod.fetch(`https://localhost:${port}/plain`))).toBe('loopback_address');
    expect(await outcome(prod.fetch('http://partner.example/backchannel'))).toBe('scheme');
    expect(await outcome(dev.fetch('file:///etc/passwd'))).toBe('scheme');
    await Promise.all([dev.close(), prod.close()]);
  });

  test('the SMS webhook goes through the same guard: a private address is refused, a loopback relay is fine', async () => {
    const outbound = createOutboundClient(operatorTargets(true));
    const secret = 's'.repeat(40);
    const internal = createWebhookSmsSender({ url: 'https://10.20.30.40/sms', secret, logger: pino({ level: 'silent' }), outbound });
    await expect(internal.send({ to: '+447700900123', text: 'code 123456' })).rejects.toThrow(/refused: 10\.20\.30\.40 is a private, link-local or special-use address/);
    const relay = createWebhookSmsSender({ url: `${base}/sms`, secret, logger: pino({ level: 'silent' }), outbound });
    await expect(relay.send({ to: '+447700900123', text: 'code 123456' })).resolves.toBeUndefined();
    await outbound.close();
  });

  test('an answer larger than the policy allows is not read', async () => {
    const client = createOutboundClient(development);
    expect(await outcome(client.fetch(`${base}/big`))).toBe('response_too_large');
    await client.close();
  });
});

/** POST /admin/clients; the proxy header stands in for TLS (production trusts its reverse proxy). */
async function createClient(server: TestServer, body: Record<string, unknown>) {
  const token = await adminToken(server);
  const response = await fetch(`${server.url}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
    body: JSON.stringify({ client_name: 'Partner Shop', redirect_uris: ['https://shop.example/callback'], ...body }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; error_description?: string; details?: { fields?: Record<string, string> } } };
}

async function adminToken(server: TestServer): Promise<string> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-proto': 'https',
    },
    body: 'grant_type=client_credentials&scope=admin',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe.each(STORES)('outbound requests made by the running server (%s)', (store) => {
  const fx = useMemberServer(store, { BACKCHANNEL_LOGOUT_RETRY_SECONDS: '0.05' });
  let loopback: LogoutReceiver;

  beforeAll(async () => {
    loopback = await startLogoutReceiver();
  });
  afterAll(() => loopback?.server.close());

  /** Signs a member in at `config` and out again through end_session, confirming: oidc-provider delivers. */
  async function signInAndOut(config: oidc.Configuration): Promise<UserAgent> {
    const { ua, email } = await signedInMember(fx, 'ssrf');
    const request = await authorizationRequest(config);
    let page = await ua.follow(request.url);
    if (!page.url.startsWith(REDIRECT_URI)) page = await signIn(ua, page, email);
    const tokens = await exchange(config, page.url, request);
    const confirm = await ua.follow(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href);
    await ua.submit(confirm, '/session/end/confirm', { logout: 'yes' });
    await fx.server.container.backchannelLogout.settled();
    return ua;
  }

  async function failuresOf(clientId: string) {
    const page = await fx.server.container.audit.list({ types: ['backchannel_logout.failed'], limit: 50 });
    return page.events.filter((event) => event.details.client_id === clientId);
  }

  test('registration refuses server-called URIs on private or link-local addresses, saying why; loopback is fine in development', async () => {
    const privateLogout = await createClient(fx.server, { backchannel_logout_uri: 'http://10.0.0.7/backchannel' });
    expect(privateLogout.status).toBe(400);
    expect(privateLogout.body.error_description).toMatch(/^backchannel_logout_uri: 10\.0\.0\.7 is a private, link-local or special-use address, which this server does not call/);
    expect(privateLogout.body.details?.fields?.backchannel_logout_uri).toBeDefined();

    const mapped = await createClient(fx.server, { backchannel_logout_uri: 'http://[::ffff:192.168.0.1]/backchannel' });
    expect(mapped.status).toBe(400);
    const metadata = await createClient(fx.server, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://169.254.169.254/jwks.json' });
    expect(metadata.status).toBe(400);
    expect(metadata.body.error_description).toMatch(/^jwks_uri: /);

    const local = await createClient(fx.server, { backchannel_logout_uri: loopback.url, backchannel_logout_session_required: true });
    expect(local.status).toBe(201);
  });

  test('a logout delivery to a private address is refused by the guard in this process, audited, not sent', async () => {
    // Stored directly, as a client registered before this check (or imported) would be.
    const stale = await registerClient(fx.server, { first_party: true, backchannel_logout_uri: 'http://10.0.0.7/backchannel', backchannel_logout_session_required: true });
    await signInAndOut(await discover(fx.server, stale));
    const failures = await failuresOf(stale.clientId);
    expect(failures.map((event) => [event.details.attempt, event.details.final, event.reason]).sort()).toEqual([[1, false, 'special_use_address'], [2, true, 'special_use_address']]);
  });

  test('a logout endpoint that answers with a redirect is not followed', async () => {
    const elsewhere = await startLogoutReceiver();
    const redirecting = await startLogoutReceiver({ redirectTo: elsewhere.url });
    try {
      const client = await registerClient(fx.server, { first_party: true, backchannel_logout_uri: redirecting.url, backchannel_logout_session_required: true });
      await signInAndOut(await discover(fx.server, client));
      expect(redirecting.requests).toBe(2);
      expect(elsewhere.requests).toBe(0);
      expect((await failuresOf(client.clientId)).map((event) => event.reason)).toEqual(['redirect', 'redirect']);
    } finally {
      elsewhere.server.close();
      redirecting.server.close();
    }
  });
});

describe.each(STORES)('registration in production (%s)', (store) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      store,
      env: { NODE_ENV: 'production', ISSUER: 'https://id.loyalty.example', TRUST_PROXY: 'true', SMTP_URL: 'smtp://127.0.0.1:9' },
    });
  });
  afterAll(async () => server?.close());

  test('a back-channel logout URI on loopback is refused with a 400 that says why', async () => {
    const named = await createClient(server, { backchannel_logout_uri: 'https://localhost/backchannel' });
    expect(named.status).toBe(400);
    expect(named.body.error).toBe('invalid_input');
    expect(named.body.error_description).toMatch(/^backchannel_logout_uri: localhost resolves to (127\.0\.0\.1|::1), a loopback address, which this server does not call in production/);

    const literal = await createClient(server, { backchannel_logout_uri: 'https://127.0.0.1:8443/backchannel' });
    expect(literal.status).toBe(400);
    expect(literal.body.error_description).toMatch(/loopback address/);
    const plain = await createClient(server, { backchannel_logout_uri: 'http://partner.example/backchannel' });
    expect(plain.status).toBe(400);
    expect(plain.body.error_description).toMatch(/must use https/);
  });

  test('a sector_identifier_uri on a private address is refused too', async () => {
    const sector = await createClient(server, { subject_type: 'pairwise', sector_identifier_uri: 'https://192.168.10.10/sector.json' });
    expect(sector.status).toBe(400);
    expect(sector.body.error_description).toMatch(/^sector_identifier_uri: 192\.168\.10\.10 is a private/);
  });
});
