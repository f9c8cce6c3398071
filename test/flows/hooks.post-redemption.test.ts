// The post-redemption hook: told (signed) about each redemption after it commits; a hook that hangs or fails
// never delays or fails the redemption itself.
import { randomUUID } from 'node:crypto';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { startHookServer, type HookServer, verifySignature } from '../support/hook-server.ts';
import { isStepUpPage, openLoginPage, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../support/member.ts';
import { memberApiResource } from '../support/member-api.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const SCOPE = 'openid loyalty loyalty:redeem';

describe.each(STORES)('post-redemption hook (%s)', (store) => {
  const fx = useMemberServer(store);
  let hooks: HookServer;
  let app: oidc.Configuration;
  let secret = '';

  beforeAll(async () => {
    hooks = await startHookServer();
    const client = await registerClient(fx.server, { first_party: true, scope: `${SCOPE} email offline_access`, allowed_resources: [memberApiResource(fx.server)] });
    app = await discover(fx.server, client);
    const token = await fx.server.adminToken();
    const created = await adminCaller(() => fx.server, () => token)('POST', '/admin/hooks', { point: 'post-redemption', url: hooks.url('post-redemption'), timeout_ms: 500 });
    expect(created.status).toBe(201);
    secret = (created.body as unknown as { secret: string }).secret;
  });
  afterAll(async () => hooks?.close());

  /** A verified member with 1000 points and a two-factor member-API token. */
  async function strongMember(): Promise<{ accountId: string; token: string }> {
    const email = uniqueEmail('redeem-hook');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), fx.sink, email);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    await fx.server.container.loyalty.earn({ accountId, points: 1000, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });
    const request = await authorizationRequest(app, { scope: SCOPE, acr_values: 'urn:loyalty:loa:2', resource: memberApiResource(fx.server) });
    let page = await signIn(ua, await ua.follow(request.url), email);
    if (isStepUpPage(page)) page = await stepUpWithEmailCode(ua, page, fx.sink, email);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    return { accountId, token: (await exchange(app, page.url, request)).access_token };
  }

  const redeem = (token: string, points: number) => fetch(new URL('/api/v1/me/redemptions', fx.server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ points, reason: 'coffee' }),
  });

  test('the hook is told about a committed redemption, signed', async () => {
    const { accountId, token } = await strongMember();
    hooks.answer('post-redemption', { json: {} });
    expect((await redeem(token, 300)).status).toBe(201);
    const call = await hooks.waitForCall('post-redemption');
    expect(call.body.type).toBe('post-redemption');
    expect(call.body.data).toMatchObject({ sub: accountId, points: -300, balance_after: 700, reason: 'coffee' });
    expect(verifySignature(secret, call)).toBe(true);
  });

  test.each([
    ['hangs', { hold: true }],
    ['fails', { status: 500 }],
  ] as const)('a hook that %s does not fail the redemption', async (_name, answer) => {
    const { token } = await strongMember();
    hooks.answer('post-redemption', answer);
    const seen = hooks.calls.filter((call) => call.point === 'post-redemption').length;
    const done = await redeem(token, 100);
    expect(done.status).toBe(201);
    expect(((await done.json()) as { balance_after: number }).balance_after).toBe(900);
    // The hook was called all the same (after the answer went out).
    await hooks.waitForCall('post-redemption', seen + 1);
  });
});
