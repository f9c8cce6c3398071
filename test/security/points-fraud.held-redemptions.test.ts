// Points theft after an account takeover (issue 21): a member who had a device for months signs in on a new one
// and drains the balance. The redemption is held for review (202 pending_review, points reserved, the member
// sees it on the account page), audited with its score and signals; an admin releases it (points.redeemed then,
// once) or rejects it (points back); a second decision, or one of racing ones, is a 409 that changes nothing.
import { randomUUID } from 'node:crypto';
import { openLoginPage, isStepUpPage, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../support/member.ts';
import { openSecurityPage } from '../support/account.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { memberApiResource } from '../support/member-api.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { besidesTheAnnouncement, scanStore } from '../support/store-scan.ts';

const LOA2 = 'urn:loyalty:loa:2';
const SCOPE = 'openid loyalty loyalty:redeem';
const DAY = 24 * 3_600_000;

describe.each(STORES)('held redemptions after a takeover (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;

  beforeAll(async () => {
    const client = await registerClient(fx.server, { first_party: true, scope: `${SCOPE} email`, allowed_resources: [memberApiResource(fx.server)] });
    app = await discover(fx.server, client);
  });

  /** A member with `points`, a device used for months, and a strong, fresh member-API token from a brand-new browser. */
  async function takenOver(points: number, { newDevice = true, strong = true } = {}) {
    const email = uniqueEmail('fraud');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), fx.sink, email);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    // The member's own phone, first seen three months ago (without it, the browser signing in is their only device).
    if (newDevice) await fx.server.container.storage.devices.record(accountId, `home-${randomUUID()}`, { at: new Date(Date.now() - 90 * DAY), ip: null, country: null, userAgent: null });
    await fx.server.container.loyalty.earn({ accountId, points, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });
    const request = await authorizationRequest(app, { scope: SCOPE, ...(strong ? { acr_values: LOA2 } : {}), resource: memberApiResource(fx.server) });
    let page = await ua.follow(request.url);
    if (page.body.includes('name="password"')) page = await signIn(ua, page, email);
    if (strong && isStepUpPage(page)) page = await stepUpWithEmailCode(ua, page, fx.sink, email);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    const token = (await exchange(app, page.url, request)).access_token;
    return { accountId, token, ua };
  }

  const redeem = (token: string, points: number, key = randomUUID(), language = 'en') => fetch(new URL('/api/v1/me/redemptions', fx.server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key, 'accept-language': language },
    body: JSON.stringify({ points, reason: 'gift card' }),
  });
  const getJson = async (token: string, path: string) => (await fetch(new URL(path, fx.server.url), { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, unknown>>;
  const admin = async (method: 'GET' | 'POST', path: string) => fetch(new URL(path, fx.server.url), { method, headers: { authorization: `Bearer ${await fx.server.adminToken()}` } });
  const redeemedEvents = async (accountId: string) => (await fx.server.container.storage.events.listByTime({ from: new Date(Date.now() - DAY), to: new Date(Date.now() + DAY), limit: 1000 }))
    .filter((event) => event.memberId === accountId && event.type === 'points.redeemed');
  const ledgerAddsUp = async (accountId: string, balance: number) => {
    expect((await fx.server.container.storage.loyalty.findMember(accountId))?.balance).toBe(balance);
    expect(await fx.server.container.storage.loyalty.sumEntries(accountId)).toBe(balance);
  };

  test('a drain from a new device is held: 202 pending review, points reserved, audited, shown on the account page', async () => {
    const { accountId, token, ua } = await takenOver(2000);
    const key = randomUUID();
    const held = await redeem(token, 1800, key, 'es');
    expect(held.status).toBe(202);
    const body = await held.json() as { status: string; hold_id: string; balance_after: number; message: string };
    expect(body).toMatchObject({ status: 'pending_review', kind: 'hold', points: -1800, balance_after: 200 });
    expect(body.message).toContain('pendiente de revisión');
    // The same request again replays the hold; the balance the member sees already sets the points aside.
    const again = await redeem(token, 1800, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await getJson(token, '/api/v1/me')).points_balance).toBe(200);
    const history = (await getJson(token, '/api/v1/me/points')).entries as Array<{ kind: string; status?: string }>;
    expect(history[0]).toMatchObject({ kind: 'hold', status: 'pending_review' });
    // Reserved: they cannot be spent a second time.
    expect((await redeem(token, 500)).status).toBe(409);
    await ledgerAddsUp(accountId, 200);
    expect(await redeemedEvents(accountId)).toEqual([]);

    const audit = await fx.server.container.storage.audit.list({ accountId, types: ['redemption'], limit: 10 });
    const heldEvent = audit.find((event) => event.reason === 'held');
    expect(heldEvent?.details).toMatchObject({ score: 70, outcome: 'hold', points: 1800 });
    expect(String(heldEvent?.details.signals)).toContain('redemption-after-new-device');
    expect(String(heldEvent?.details.signals)).toContain('balance-drain');

    const page = await openSecurityPage(ua);
    expect(page.body).toContain('1 redemption (1,800 points) is pending review.');
    // The member's own history says what happened: held, not redeemed.
    expect((await ua.follow('/account/history')).body).toContain('Redemption put on hold for review');

    const list = await (await admin('GET', '/admin/held-redemptions')).json() as { held_redemptions: Array<{ id: string; signals: string[]; score: number; member: string }> };
    expect(list.held_redemptions.find((hold) => hold.id === body.hold_id)).toMatchObject({ member: accountId, score: 70, signals: expect.arrayContaining(['redemption-after-new-device', 'balance-drain']) });
  });

  test('release makes it final and emits points.redeemed once; releasing again or rejecting then is a 409 and changes nothing', async () => {
    const { accountId, token } = await takenOver(3000);
    const { hold_id: id } = await (await redeem(token, 2900)).json() as { hold_id: string };
    const released = await admin('POST', `/admin/held-redemptions/${id}/release`);
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ id, status: 'released', decided_by: expect.any(String) });
    expect(await redeemedEvents(accountId)).toHaveLength(1);
    for (const action of ['release', 'reject']) {
      const refused = await admin('POST', `/admin/held-redemptions/${id}/${action}`);
      expect(refused.status).toBe(409);
    }
    await ledgerAddsUp(accountId, 100);
    expect(await redeemedEvents(accountId)).toHaveLength(1);
    expect(((await getJson(token, '/api/v1/me/points')).entries as Array<{ status?: string }>)[0]?.status).toBe('released');
    expect((await admin('POST', '/admin/held-redemptions/hold_nope/release')).status).toBe(404);
  });

  test('reject gives the points back (lifetime unchanged); concurrent decisions: exactly one wins', async () => {
    const { accountId, token } = await takenOver(4000);
    const { hold_id: id } = await (await redeem(token, 3900)).json() as { hold_id: string };
    const answers = await Promise.all([
      ...Array.from({ length: 3 }, () => admin('POST', `/admin/held-redemptions/${id}/reject`)),
      ...Array.from({ length: 3 }, () => admin('POST', `/admin/held-redemptions/${id}/release`)),
    ]);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = await (await admin('GET', '/admin/held-redemptions?status=rejected')).json() as { held_redemptions: Array<{ id: string }> };
    const rejected = winner.held_redemptions.some((hold) => hold.id === id);
    await ledgerAddsUp(accountId, rejected ? 4000 : 100);
    expect((await fx.server.container.storage.loyalty.findMember(accountId))?.lifetimePoints).toBe(4000);
    expect(await redeemedEvents(accountId)).toHaveLength(rejected ? 0 : 1);
  });

  test('with a one-factor sign-in, the same drain asks for a passkey (or two factors) in the last 2 minutes, and nothing moves', async () => {
    const { accountId, token } = await takenOver(2000, { strong: false });
    const refused = await redeem(token, 1800);
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_user_authentication"');
    expect(challenge).toContain('acr_values="urn:loyalty:loa:phr urn:loyalty:loa:2"');
    expect(challenge).toContain('max_age="120"');
    await ledgerAddsUp(accountId, 2000);
  });

  test('erasing a member with a held redemption keeps the hold for accounting, with nothing that leads back to the member', async () => {
    const { accountId, token } = await takenOver(2000);
    expect((await redeem(token, 1900)).status).toBe(202);
    const [hold] = await fx.server.container.storage.heldRedemptions.listByAccount(accountId, 10);
    expect(hold).toBeDefined();
    expect((await fetch(new URL(`/admin/members/${accountId}?grace=none`, fx.server.url), { method: 'DELETE', headers: { authorization: `Bearer ${await fx.server.adminToken()}` } })).status).toBe(204);
    expect(besidesTheAnnouncement(await scanStore(fx.server, [accountId]))).toEqual([]);
    const [deleted] = await fx.server.container.storage.audit.list({ types: ['member.deleted'], limit: 1 });
    const tombstone = String(deleted!.details.tombstone);
    expect(await fx.server.container.storage.heldRedemptions.listByAccount(tombstone, 10)).toEqual([expect.objectContaining({ points: 1900, status: 'held' })]);
    await ledgerAddsUp(tombstone, 100);
  });

  test('a member on their usual device spending part of their balance is not held', async () => {
    const { token } = await takenOver(2000, { newDevice: false });
    const done = await redeem(token, 500);
    expect(done.status).toBe(201);
    expect(await done.json()).toMatchObject({ kind: 'redeem', balance_after: 1500 });
  });
});

describe.each(STORES)('refused redemptions at the deny score (%s)', (store) => {
  // An operator who refuses from score 70 (default 100): the same takeover drain is refused outright.
  const fx = useMemberServer(store, { RISK_REDEMPTION_DENY_SCORE: '70' });

  test('403 redemption_denied, nothing written, the refusal audited with its score and signals', async () => {
    const client = await registerClient(fx.server, { first_party: true, scope: `${SCOPE} email`, allowed_resources: [memberApiResource(fx.server)] });
    const app = await discover(fx.server, client);
    const email = uniqueEmail('fraud-deny');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), fx.sink, email);
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    await fx.server.container.storage.devices.record(accountId, `home-${randomUUID()}`, { at: new Date(Date.now() - 90 * DAY), ip: null, country: null, userAgent: null });
    await fx.server.container.loyalty.earn({ accountId, points: 2000, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });
    const request = await authorizationRequest(app, { scope: SCOPE, acr_values: LOA2, resource: memberApiResource(fx.server) });
    let page = await ua.follow(request.url);
    if (page.body.includes('name="password"')) page = await signIn(ua, page, email);
    if (isStepUpPage(page)) page = await stepUpWithEmailCode(ua, page, fx.sink, email);
    const token = (await exchange(app, page.url, request)).access_token;

    const refused = await fetch(new URL('/api/v1/me/redemptions', fx.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ points: 1900 }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('redemption_denied');
    expect(await fx.server.container.storage.loyalty.listEntries(accountId, { limit: 10 })).toHaveLength(1);
    expect(await fx.server.container.storage.heldRedemptions.listByAccount(accountId, 10)).toEqual([]);
    const audit = await fx.server.container.storage.audit.list({ accountId, types: ['redemption'], limit: 10 });
    expect(audit.find((event) => event.reason === 'denied')?.details).toMatchObject({ score: 70, outcome: 'deny', signals: 'redemption-after-new-device balance-drain' });
  });
});
