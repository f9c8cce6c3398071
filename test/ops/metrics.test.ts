// GET /metrics: Prometheus text for a scraper on this host or one holding METRICS_TOKEN, nobody else; counters move
// with the right labels after sign-ins, and no label or value carries an interaction uid, a code or a secret.
import { randomBytes } from 'node:crypto';
import { ADMIN_CLIENT_SECRET, startTestServer, STORES, type TestServer } from '../support/test-server.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { useMemberServer } from '../support/suite.ts';
import { openLoginPage, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, REDIRECT_URI } from '../support/oidc-client.ts';

/** The value of the series `name` with exactly these labels (in any order), 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && match[2]!.split(/,(?=[a-z_]+=")/).sort().join(',') === wanted) return Number(match[3]);
  }
  return 0;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/metrics`, { headers });
}

async function metricsText(url: string): Promise<string> {
  const response = await scrape(url);
  expect(response.status).toBe(200);
  return response.text();
}

describe.each(STORES)('metrics endpoint (%s)', (store) => {
  // TRUST_PROXY on: the proxy's X-Forwarded-For must still not make a forwarded request look local.
  const fixture = useMemberServer(store, { TRUST_PROXY: 'true' });

  test('a scraper on this host reads Prometheus text listing the metric names, never cached', async () => {
    const response = await scrape(fixture.server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    for (const name of [
      'loyalty_http_requests_total', 'loyalty_http_request_duration_seconds', 'loyalty_sign_ins_total', 'loyalty_sign_ups_total',
      'loyalty_message_deliveries_total', 'loyalty_attack_protection_blocks_total', 'loyalty_kdf_duration_seconds',
      'loyalty_delivery_queue_pending', 'nodejs_eventloop_lag_seconds', 'process_cpu_user_seconds_total',
    ]) expect(text).toContain(`# TYPE ${name} `);
  });

  test('a request a proxy forwarded is refused like a missing page, even over a loopback socket', async () => {
    const missing = await fetch(`${fixture.server.url}/no-such-page-here`);
    const forwarded: Array<Record<string, string>> = [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { 'x-real-ip': '203.0.113.9' }];
    for (const headers of forwarded) {
      const response = await scrape(fixture.server.url, headers);
      expect(response.status).toBe(missing.status);
      expect(await response.text()).not.toContain('loyalty_');
    }
  });

  test('after a sign-up, a sign-in and a failed sign-in the counters moved with the right labels, and no uid, code or secret shows', async () => {
    const before = await metricsText(fixture.server.url);
    const email = uniqueEmail('metrics');
    const ua = new UserAgent(fixture.server.url);
    const loginPage = await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fixture.config)).url), fixture.sink, email);
    const uid = /\/interaction\/([^/?#]+)/.exec(loginPage.url)![1]!;
    const code = await fixture.sink.waitForCode(email);
    const done = await signIn(ua, loginPage, email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const other = new UserAgent(fixture.server.url);
    const failed = await other.submit(await openLoginPage(other, (await authorizationRequest(fixture.config)).url), '/login', { email, password: 'not the password at all' });
    expect(failed.status).toBe(400);
    // Paths that carry secrets or ids of their own: an emailed unlock link's token, a member id in the admin API.
    const unlockToken = randomBytes(18).toString('base64url');
    const memberId = randomBytes(12).toString('hex');
    await fetch(`${fixture.server.url}/unlock/${unlockToken}`);
    await fetch(`${fixture.server.url}/admin/members/${memberId}`);

    const after = await metricsText(fixture.server.url);
    const moved = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('loyalty_sign_ins_total', { method: 'password', outcome: 'success' })).toBe(1);
    expect(moved('loyalty_sign_ins_total', { method: 'password', outcome: 'failure' })).toBe(1);
    expect(moved('loyalty_sign_ups_total', { channel: 'web' })).toBe(1);
    // Sign-up, wrong password and right password: three argon2 runs at least (hash, verify, verify).
    expect(moved('loyalty_kdf_duration_seconds_count', { operation: 'verify' })).toBeGreaterThanOrEqual(2);
    expect(moved('loyalty_kdf_duration_seconds_count', { operation: 'hash' })).toBeGreaterThanOrEqual(1);
    expect(moved('loyalty_message_deliveries_total', { kind: 'email', result: 'sent' })).toBeGreaterThanOrEqual(1);
    expect(moved('loyalty_http_requests_total', { method: 'POST', route: '/interaction/:uid/...', code: '400' })).toBeGreaterThanOrEqual(1);
    expect(moved('loyalty_http_requests_total', { method: 'GET', route: '/auth', code: '303' })).toBeGreaterThanOrEqual(1);
    expect(moved('loyalty_http_request_duration_seconds_count', { method: 'GET', route: '/interaction/:uid' })).toBeGreaterThanOrEqual(1);
    expect(moved('loyalty_http_request_duration_seconds_count', { method: 'GET', route: '/unlock/:token' })).toBe(1);
    expect(moved('loyalty_http_request_duration_seconds_count', { method: 'GET', route: '/admin/...' })).toBe(1);

    // Route labels are templates or `other`: every segment a fixed word, a `:param` or `...`, never a value.
    const routes = new Set([...after.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!));
    expect(routes.has('/interaction/:uid/...')).toBe(true);
    for (const route of routes) {
      if (route === 'other' || route === '/') continue;
      for (const segment of route.slice(1).split('/')) expect(segment).toMatch(/^(?::[a-z_]+|\.\.\.|\.?[a-z-]+|v1)$/);
    }
    for (const secret of [uid, code, unlockToken, memberId, email, PASSWORD, 'not the password at all', ADMIN_CLIENT_SECRET]) expect(after).not.toContain(secret);
  });
});

describe.each(STORES)('metrics endpoint with METRICS_TOKEN (%s)', (store) => {
  const token = randomBytes(24).toString('base64url');
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store, env: { METRICS_TOKEN: token } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('no token and a wrong token get 401 without a metric; the right token reads them', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${'x'.repeat(token.length)}` }, { authorization: 'Bearer short' }, { authorization: `Basic ${token}` }];
    for (const headers of attempts) {
      const response = await scrape(server.url, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toContain('loyalty_');
    }
    const response = await scrape(server.url, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).toContain('# TYPE loyalty_http_requests_total counter');
    expect(text).not.toContain(token);
  });
});
