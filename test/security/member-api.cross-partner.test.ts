// Threat: partner A's token for a member reads the member's whole ledger through the member API, partner B's
// entries and free-text reasons included. The member API is a resource server: only clients allowed its
// resource indicator get tokens for it (JWTs with its audience), and a partner's client sees its own entries.
import { randomUUID } from 'node:crypto';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { callMemberApi, memberApiResource, memberApiToken } from '../support/member-api.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, type RegisteredClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

interface Entries { entries: Array<{ points: number; reason: string }> }

describe.each(STORES)('member API across partners (%s)', (store) => {
  const fx = useMemberServer(store);
  let admin: ReturnType<typeof adminCaller>;
  let shopA: { partnerId: string; app: oidc.Configuration; backEnd: { clientId: string; secret: string } };
  let shopB: { partnerId: string; app: oidc.Configuration };
  let firstParty: oidc.Configuration;
  let notAllowed: oidc.Configuration;
  let ua: UserAgent;
  let accountId: string;

  async function webClient(name: string, extra: Record<string, unknown>): Promise<{ app: oidc.Configuration; clientId: string; secret: string }> {
    const created = await admin('POST', '/admin/clients', { client_name: name, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], scope: 'openid email loyalty', ...extra });
    expect([created.status, created.body?.details]).toEqual([201, undefined]);
    const registered: RegisteredClient = { clientId: created.body!.client_id!, clientSecret: created.body!.client_secret, metadata: created.body as never };
    return { app: await discover(fx.server, registered), clientId: registered.clientId, secret: registered.clientSecret! };
  }

  async function partner(name: string) {
    const created = await admin('POST', '/admin/partners', { name });
    const partnerId = (created.body as { id: string }).id;
    const web = await webClient(`${name} app`, { partner_id: partnerId, allowed_resources: [memberApiResource(fx.server)] });
    return { partnerId, app: web.app, backEnd: { clientId: web.clientId, secret: web.secret } };
  }

  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    shopA = await partner('Shop A');
    shopB = await partner('Shop B');
    firstParty = (await webClient('Loyalty app', { first_party: true, allowed_resources: [memberApiResource(fx.server)] })).app;
    notAllowed = (await webClient('No API', { first_party: true })).app;

    // One member, signed in to both partners' apps (and so linked to both), with entries from each and the program.
    const email = uniqueEmail('cross');
    ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(shopA.app, { scope: 'openid loyalty' });
    const done = await signIn(ua, await signUpAndVerify(ua, await openLoginPage(ua, request.url), fx.sink, email), email);
    expect(done.url.startsWith(REDIRECT_URI)).toBe(true);
    const toB = await ua.follow((await authorizationRequest(shopB.app, { scope: 'openid loyalty' })).url);
    // Partner B's app asks for consent on first use.
    if (!toB.url.startsWith(REDIRECT_URI)) await ua.submit(toB, '/consent', { decision: 'allow' });
    accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    const earn = (partnerId: string | null, points: number, reason: string) => fx.server.container.loyalty.earn({ accountId, points, partnerId, reason, idempotencyKey: `seed:${randomUUID()}` });
    await earn(shopA.partnerId, 10, 'A: coffee');
    await earn(shopB.partnerId, 20, 'B: private note about this member');
    await earn(null, 30, 'welcome');
  });

  test('partner A\'s token shows only partner A\'s entries; partner B\'s only B\'s', async () => {
    const a = (await (await callMemberApi(fx.server, await memberApiToken(fx.server, shopA.app, ua), '/api/v1/me/points')).json()) as Entries;
    expect(a.entries.map((e) => e.reason)).toEqual(['A: coffee']);
    const b = (await (await callMemberApi(fx.server, await memberApiToken(fx.server, shopB.app, ua), '/api/v1/me/points')).json()) as Entries;
    expect(b.entries.map((e) => e.reason)).toEqual(['B: private note about this member']);
  });

  test('the program\'s own app (no partner) sees the whole ledger', async () => {
    const all = (await (await callMemberApi(fx.server, await memberApiToken(fx.server, firstParty, ua), '/api/v1/me/points')).json()) as Entries;
    expect(all.entries.map((e) => e.reason).sort()).toEqual(['A: coffee', 'B: private note about this member', 'welcome']);
  });

  test('a member-API token is a JWT for the member API\'s audience only', async () => {
    const token = await memberApiToken(fx.server, shopA.app, ua);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { aud: string; iss: string; scope: string };
    expect(payload).toMatchObject({ aud: memberApiResource(fx.server), iss: fx.server.url });
    expect(payload.scope.split(' ').sort()).toEqual(['loyalty']);
  });

  test('a token without the resource (the userinfo token) is refused by the member API', async () => {
    const request = await authorizationRequest(shopA.app, { scope: 'openid loyalty' });
    const done = await ua.follow(request.url);
    const plain = (await exchange(shopA.app, done.url, request)).access_token;
    const response = await callMemberApi(fx.server, plain);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  test('a client not allowed the member API\'s resource gets no token for it', async () => {
    const request = await authorizationRequest(notAllowed, { scope: 'openid loyalty', resource: memberApiResource(fx.server) });
    const done = await ua.follow(request.url);
    expect(new URL(done.url).searchParams.get('error')).toBe('invalid_target');
  });

  test('a client-credentials token cannot be minted for the member API, and a partner-API token is refused there', async () => {
    const basic = Buffer.from(`${shopA.backEnd.clientId}:${shopA.backEnd.secret}`).toString('base64');
    const minted = await fetch(`${fx.server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'loyalty', resource: memberApiResource(fx.server) }),
    });
    expect(minted.status).toBe(400);
    // The admin token (opaque, the issuer's own) is no member token either.
    expect((await callMemberApi(fx.server, await fx.server.adminToken())).status).toBe(401);
  });

  test('a forged token (signed by someone else, right claims) is refused', async () => {
    const { SignJWT, generateKeyPair } = await import('jose');
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ client_id: 'x', grant_id: 'y', scope: 'loyalty' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'rs256-initial' })
      .setIssuer(fx.server.url).setAudience(memberApiResource(fx.server)).setSubject(accountId).setIssuedAt().setExpirationTime('5m')
      .sign(privateKey);
    expect((await callMemberApi(fx.server, forged)).status).toBe(401);
  });
});
