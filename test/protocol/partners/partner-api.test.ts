// The partner API: a partner (created with the admin API, with a web client and a back-end client)
// awards points to members who signed in to it, by the pairwise sub it knows, idempotently, and reads
// what those members granted it. Everything else — another partner's members, members who never came,
// raw account ids, other kinds of tokens — is a 404 or a 401, never data (BOLA).
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { openLoginPage, signIn, UserAgent } from '../../support/member.ts';
import { authorizationRequest, exchange, REDIRECT_URI } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { adminCaller } from '../admin/admin-api.ts';
import { partnerFixture, type PartnerSetup } from './partner-fixture.ts';

describe.each(STORES)('partner API (%s)', (store) => {
  const fx = useMemberServer(store);
  let admin: ReturnType<typeof adminCaller>;
  let shop: PartnerSetup;
  let cafe: PartnerSetup;
  const { resource, partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  const earn = (token: string, sub: string, body: unknown, key: string | null = randomUUID()) =>
    fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(sub)}/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify(body),
    });
  const read = (token: string, sub: string) =>
    fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(sub)}`, { headers: { authorization: `Bearer ${token}` } });
  const balanceOf = async (accountId: string) => (await fx.server.container.storage.loyalty.findMember(accountId))?.balance;

  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    shop = await partner('Shoe shop');
    cafe = await partner('Cafe');
  });

  test('awards points idempotently to a member who signed in, by the sub the partner knows', async () => {
    const member = await memberOf(shop);
    const token = await partnerToken(shop);
    const key = randomUUID();
    const first = await earn(token, member.sub, { points: 250, reason: 'order 1001' }, key);
    expect(first.status).toBe(201);
    const body = await first.json() as Record<string, unknown>;
    expect(body).toMatchObject({ points: 250, reason: 'order 1001', points_balance: 250 });
    const replay = await earn(token, member.sub, { points: 250, reason: 'order 1001' }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(body);
    const conflict = await earn(token, member.sub, { points: 999, reason: 'order 1001' }, key);
    expect(conflict.status).toBe(409);
    expect(await balanceOf(member.accountId)).toBe(250);
    // The member sees the points in their loyalty claims.
    const entries = await fx.server.container.storage.loyalty.listEntries(member.accountId, { limit: 5 });
    expect(entries[0]).toMatchObject({ kind: 'earn', points: 250, partnerId: shop.partnerId });
  });

  test('reads exactly the claims the member granted this partner', async () => {
    const member = await memberOf(shop, 'openid email');
    const token = await partnerToken(shop);
    const response = await read(token, member.sub);
    expect(response.status).toBe(200);
    const claims = await response.json() as Record<string, unknown>;
    expect(claims).toEqual({ sub: member.sub, email: member.email, email_verified: true });
    // Without the loyalty scope, an award does not reveal the balance either.
    const awarded = await (await earn(token, member.sub, { points: 5, reason: 'x' })).json() as Record<string, unknown>;
    expect(awarded.points_balance).toBeUndefined();
  });

  test('BOLA: another partner, an unknown sub, a raw account id and a member who never came all get the same 404', async () => {
    const member = await memberOf(shop);
    const cafeToken = await partnerToken(cafe);
    const shopToken = await partnerToken(shop);
    const cafeMember = await memberOf(cafe);
    for (const [token, sub] of [
      [cafeToken, member.sub], // the shop's member, asked by the cafe
      [shopToken, cafeMember.sub], // the cafe's member, asked by the shop
      [shopToken, member.accountId], // the internal account id
      [shopToken, 'a'.repeat(43)], // a made-up sub
      [shopToken, 'x'.repeat(5000)], // absurdly long
    ] as const) {
      const earned = await earn(token, sub, { points: 10, reason: 'probe' });
      expect(earned.status).toBe(404);
      const readBack = await read(token, sub);
      expect(readBack.status).toBe(404);
      expect(((await readBack.json()) as { error: string }).error).toBe('not_found');
    }
    expect(await balanceOf(member.accountId)).toBe(0);
    expect(await balanceOf(cafeMember.accountId)).toBe(0);
    // The same member signing in to the cafe too gets a different sub there, and only then is reachable.
    const again = new UserAgent(fx.server.url);
    const request = await authorizationRequest(cafe.web, { scope: 'openid email loyalty' });
    const done = await signIn(again, await openLoginPage(again, request.url), member.email);
    const cafeSub = (await exchange(cafe.web, done.url, request)).claims()!.sub;
    expect(cafeSub).not.toBe(member.sub);
    expect((await earn(cafeToken, cafeSub, { points: 10, reason: 'welcome' })).status).toBe(201);
  });

  test('only a partner JWT with the right scope works: no token, member tokens, tokens without the resource, admin tokens', async () => {
    const member = await memberOf(shop);
    const none = await fetch(`${fx.server.url}/partner-api/v1/members/${member.sub}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const opaque = await partnerToken(shop, 'loyalty:earn members:read', false).catch(() => 'not-issued');
    expect((await read(opaque, member.sub)).status).toBe(401);
    expect((await read(await fx.server.adminToken(), member.sub)).status).toBe(401);
    const readOnly = await partnerToken(shop, 'members:read');
    const refused = await earn(readOnly, member.sub, { points: 1, reason: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // A tampered JWT (payload swapped) fails signature verification.
    const [head, , signature] = (await partnerToken(shop)).split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ client_id: cafe.api.clientId, scope: 'loyalty:earn members:read', aud: resource(), iss: fx.server.url, exp: 9e9 })).toString('base64url');
    expect((await read(`${head}.${forgedPayload}.${signature}`, member.sub)).status).toBe(401);
    expect(await balanceOf(member.accountId)).toBe(0);
  });

  test('a deleted back-end client cannot use the tokens it already has', async () => {
    const member = await memberOf(shop);
    const doomed = await admin('POST', '/admin/clients', { grant_types: ['client_credentials'], scope: 'loyalty:earn', allowed_resources: [resource()], partner_id: shop.partnerId });
    const token = await partnerToken({ ...shop, api: { clientId: doomed.body!.client_id!, secret: doomed.body!.client_secret! } }, 'loyalty:earn');
    expect((await earn(token, member.sub, { points: 1, reason: 'before' })).status).toBe(201);
    expect((await admin('DELETE', `/admin/clients/${doomed.body!.client_id}`)).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the client cache holds a row for up to 1 s
    expect((await earn(token, member.sub, { points: 1, reason: 'after' })).status).toBe(401);
  });

  test.each([
    ['no Idempotency-Key', { points: 10, reason: 'x' }, null],
    ['zero points', { points: 0, reason: 'x' }, 'k'],
    ['negative points', { points: -5, reason: 'x' }, 'k'],
    ['no reason', { points: 5 }, 'k'],
    ['an extra field', { points: 5, reason: 'x', accountId: 'y' }, 'k'],
  ])('%s is a 400 and no points move', async (_name, body, key) => {
    const member = await memberOf(shop);
    const response = await earn(await partnerToken(shop), member.sub, body, key === 'k' ? randomUUID() : key);
    expect(response.status).toBe(400);
    expect(await balanceOf(member.accountId)).toBe(0);
  });

  test('the admin API refuses a client for an unknown partner, or a public-subject partner client', async () => {
    const unknown = await admin('POST', '/admin/clients', { redirect_uris: [REDIRECT_URI], partner_id: 'no-such-partner' });
    expect(unknown.status).toBe(400);
    const publicSub = await admin('POST', '/admin/clients', { redirect_uris: [REDIRECT_URI], partner_id: shop.partnerId, subject_type: 'public' });
    expect(publicSub.status).toBe(400);
    expect((await fetch(`${fx.server.url}/partner-api/v1/openapi.json`)).status).toBe(200);
  });
});
