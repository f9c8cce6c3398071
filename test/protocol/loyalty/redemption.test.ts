// Redeeming points with the member's own access token for the member API (resource indicator, scope
// loyalty:redeem): refused with the RFC 9470
// step-up challenge until the member signed in with two factors in the last 10 minutes; idempotent by
// Idempotency-Key; never below zero; paused for 24 hours after a password reset.
import { randomUUID } from 'node:crypto';
import { followLink, isStepUpPage, openLoginPage, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from '../../support/member.ts';
import { authorizationRequest, discover, exchange, type oidc, REDIRECT_URI, registerClient } from '../../support/oidc-client.ts';
import { confirmItsYou } from '../../support/account.ts';
import { addPhoneOnAccount, uniquePhone } from '../../support/phone.ts';
import { memberApiResource } from '../../support/member-api.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';

const LOA2 = 'urn:loyalty:loa:2';
const SCOPE = 'openid loyalty loyalty:redeem';

describe.each(STORES)('member redemption API (%s)', (store) => {
  const fx = useMemberServer(store);
  let app: oidc.Configuration;

  beforeAll(async () => {
    const client = await registerClient(fx.server, { first_party: true, scope: `${SCOPE} email offline_access`, allowed_resources: [memberApiResource(fx.server)] });
    app = await discover(fx.server, client);
  });

  /** A new member with `points` awarded by the program; returns their email and account id. */
  async function member(points: number) {
    const email = uniqueEmail('redeem');
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(app)).url), fx.sink, email);
    const account = await fx.server.container.accounts.findById((await fx.server.container.storage.accounts.findByEmail(email))!.id);
    if (points > 0) {
      const award = await fx.server.container.loyalty.earn({ accountId: account!.id, points, partnerId: null, reason: 'welcome', idempotencyKey: `seed:${randomUUID()}` });
      expect(award.ok).toBe(true);
    }
    return { email, accountId: account!.id };
  }

  /**
   * Signs in (password, plus an emailed code when `strong`) and returns the access token (for the member API,
   * unless `forApi` is false: then the userinfo token) and the ID token claims.
   */
  async function tokenFor(email: string, strong: boolean, ua = new UserAgent(fx.server.url), scope = SCOPE, forApi = true) {
    const request = await authorizationRequest(app, { scope, ...(strong ? { acr_values: LOA2 } : {}), ...(forApi ? { resource: memberApiResource(fx.server) } : {}) });
    let page = await ua.follow(request.url);
    if (page.body.includes('name="password"')) page = await signIn(ua, page, email);
    if (strong && isStepUpPage(page)) page = await stepUpWithEmailCode(ua, page, fx.sink, email);
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await exchange(app, page.url, request);
    return { accessToken: tokens.access_token, claims: tokens.claims()!, ua };
  }

  function redeem(token: string, body: unknown, key: string | null = randomUUID()) {
    return fetch(new URL('/api/v1/me/redemptions', fx.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify(body),
    });
  }

  const balance = async (token: string) => ((await (await fetch(new URL('/api/v1/me', fx.server.url), { headers: { authorization: `Bearer ${token}` } })).json()) as { points_balance: number }).points_balance;

  test('a member whose redemptions support froze gets 403 redemption_frozen, nothing taken, until unfrozen (issue 20)', async () => {
    const { email, accountId } = await member(500);
    const { staff } = fx.server.container.storage;
    await staff.freezeRedemptions({ accountId, frozenBy: 'staff:someone', reason: 'Takeover reported', frozenAt: new Date() });
    const strong = await tokenFor(email, true);
    const refused = await redeem(strong.accessToken, { points: 100 });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'redemption_frozen', details: { reason: 'frozen_by_support' } });
    expect(await balance(strong.accessToken)).toBe(500);
    await staff.unfreezeRedemptions(accountId);
    expect((await redeem(strong.accessToken, { points: 100 })).status).toBe(201);
    expect(await balance(strong.accessToken)).toBe(400);
  });

  test('a one-factor token gets 401 insufficient_user_authentication with acr_values and max_age; after step-up it redeems', async () => {
    const { email } = await member(1000);
    const weak = await tokenFor(email, false);
    const refused = await redeem(weak.accessToken, { points: 300 });
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_user_authentication"');
    expect(challenge).toContain(`acr_values="${LOA2}"`);
    expect(challenge).toContain('max_age="600"');
    expect(((await refused.json()) as { error: string }).error).toBe('insufficient_user_authentication');
    expect(await balance(weak.accessToken)).toBe(1000);

    // The app sends the member back with what the challenge said; the same browser steps up.
    const strong = await tokenFor(email, true, weak.ua);
    expect(strong.claims.acr).toBe(LOA2);
    const done = await redeem(strong.accessToken, { points: 300, reason: 'coffee' });
    expect(done.status).toBe(201);
    expect(await done.json()).toMatchObject({ kind: 'redeem', points: -300, balance_after: 700, reason: 'coffee' });
    expect(await balance(strong.accessToken)).toBe(700);
  });

  test('the same Idempotency-Key replays the original answer; another body with it is a 409', async () => {
    const { email } = await member(500);
    const { accessToken } = await tokenFor(email, true);
    const key = randomUUID();
    const first = await redeem(accessToken, { points: 100 }, key);
    const again = await redeem(accessToken, { points: 100 }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const [a, b] = [await first.json(), await again.json()] as Array<{ id: string; balance_after: number }>;
    expect(b).toEqual(a);
    const other = await redeem(accessToken, { points: 101 }, key);
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: string }).error).toBe('idempotency_conflict');
    expect(await balance(accessToken)).toBe(400);
  });

  test('never below zero: more points than the balance is a 409 and nothing moves', async () => {
    const { email } = await member(50);
    const { accessToken } = await tokenFor(email, true);
    const response = await redeem(accessToken, { points: 51 });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_points');
    expect(await balance(accessToken)).toBe(50);
  });

  test.each([
    ['no Idempotency-Key', { points: 10 }, null],
    ['zero points', { points: 0 }, 'k'],
    ['negative points', { points: -10 }, 'k'],
    ['fractional points', { points: 1.5 }, 'k'],
    ['points as a string', { points: '10' }, 'k'],
    ['too many points', { points: 1_000_001 }, 'k'],
    ['an unknown field', { points: 10, accountId: 'someone-else' }, 'k'],
    ['a huge reason', { points: 10, reason: 'x'.repeat(201) }, 'k'],
    ['a key with spaces', { points: 10 }, 'a key'],
  ])('%s is a 400 and nothing moves', async (_name, body, key) => {
    const { email } = await member(100);
    const { accessToken } = await tokenFor(email, true);
    const response = await redeem(accessToken, body, key === 'k' ? randomUUID() : key);
    expect(response.status).toBe(400);
    expect(await balance(accessToken)).toBe(100);
  });

  test('no token, a made-up token, or a token without loyalty:redeem cannot redeem', async () => {
    const { email } = await member(100);
    const anonymous = await fetch(new URL('/api/v1/me/redemptions', fx.server.url), { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body: '{"points":1}' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await redeem('not-a-real-token-value', { points: 1 })).status).toBe(401);
    const { accessToken } = await tokenFor(email, true, undefined, 'openid loyalty');
    const noScope = await redeem(accessToken, { points: 1 });
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await balance(accessToken)).toBe(100);
  });

  test('the loyalty claims are in userinfo and the ID token for the scope, and in the ID token by the claims parameter', async () => {
    const { email } = await member(1200);
    const { accessToken, claims } = await tokenFor(email, false, undefined, SCOPE, false);
    expect(claims.points_balance).toBe(1200);
    const info = await (await fetch(new URL('/me', fx.server.url), { headers: { authorization: `Bearer ${accessToken}` } })).json() as Record<string, unknown>;
    expect(info).toMatchObject({ tier: 'silver', points_balance: 1200 });
    expect(String(info.member_number)).toMatch(/^[1-9][0-9]{10}$/);
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(app, { scope: 'openid', claims: JSON.stringify({ id_token: { points_balance: null, member_number: null } }) });
    const done = await signIn(ua, await ua.follow(request.url), email);
    const idClaims = (await exchange(app, done.url, request)).claims()!;
    expect(idClaims.points_balance).toBe(1200);
    expect(idClaims.member_number).toBe(info.member_number);
    expect(idClaims.tier).toBeUndefined();
  });

  test('a password reset ends old tokens, and pauses redemptions for 24 hours even after a strong sign-in', async () => {
    const { email } = await member(300);
    const before = await tokenFor(email, true);
    // A phone, so the member has a second factor besides the mailbox: a password set by an emailed reset
    // proves only the mailbox, and the step-up after it must be another class.
    const phone = uniquePhone();
    await confirmItsYou(before.ua, fx.sink, email);
    await addPhoneOnAccount(before.ua, fx.sms, phone);
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(app, { scope: SCOPE })).url);
    // The reset code leaves after the answer: count what came before asking for it.
    await fx.server.container.deliveries.drain();
    const mails = fx.sink.countFor(email);
    const reset = await ua.submit(await followLink(ua, login, '/forgot'), '/forgot', { email });
    const newPassword = 'a brand new passphrase 42';
    await ua.submit(reset, '/reset', { code: await fx.sink.waitForCode(email, { after: mails }), password: newPassword });
    expect((await redeem(before.accessToken, { points: 10 })).status).toBe(401);

    const request = await authorizationRequest(app, { scope: SCOPE, acr_values: LOA2, resource: memberApiResource(fx.server) });
    const fresh = new UserAgent(fx.server.url);
    const mfa = await signIn(fresh, await fresh.follow(request.url), email, newPassword);
    const texts = fx.sms.countFor(phone);
    // The texted code is the only second factor offered (the email is the class the reset proved).
    const codePage = await fresh.submit(mfa, '/mfa/send', { channel: 'sms' });
    const offer = await fresh.submit(codePage, '/mfa', { code: await fx.sms.waitForCode(phone, { after: texts }) });
    const done = offer.body.includes('/mfa/enrol"') ? await fresh.submit(offer, '/mfa/finish') : offer;
    const { access_token: token } = await exchange(app, done.url, request);
    const frozen = await redeem(token, { points: 10 });
    expect(frozen.status).toBe(403);
    expect(((await frozen.json()) as { error: string }).error).toBe('redemption_frozen');
    expect(Number(frozen.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    expect(await balance(token)).toBe(300);
  });

  test('adding a phone pauses redemptions for 24 hours too', async () => {
    const { email } = await member(300);
    const { ua } = await tokenFor(email, true);
    await confirmItsYou(ua, fx.sink, email);
    await addPhoneOnAccount(ua, fx.sms, uniquePhone());
    // The same browser: its two-factor session from a minute ago still satisfies loa:2.
    const { accessToken, claims } = await tokenFor(email, true, ua);
    expect(claims.acr).toBe(LOA2);
    const frozen = await redeem(accessToken, { points: 10 });
    expect(frozen.status).toBe(403);
    expect(((await frozen.json()) as { error: string }).error).toBe('redemption_frozen');
    expect(await balance(accessToken)).toBe(300);
  });
});
