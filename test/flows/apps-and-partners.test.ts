// "Apps and partners" on the account pages (issue 17 item 2): a member sees each partner and app they signed in to,
// what it receives in words, since when and when last used; "Stop sharing" takes it all back: the partner is told
// by back channel, its refresh and access tokens stop working, the partner API answers 404 for the member, the
// consent page asks again, and another app keeps working; `grant.revoked` reaches the program's webhook and that
// partner's (under the sub it knew), never another partner's. Signing in again with consent restores access. A
// made-up or another member's entry, a replayed form and a POST without the CSRF token change nothing.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { accountCsrf, noticeOn } from '../support/account.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../support/logout-receiver.ts';
import { openLoginPage, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';
import { waitFor } from '../support/wait-for.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { adminCaller } from '../protocol/admin/admin-api.ts';

describe.each(STORES)('"Apps and partners" and Stop sharing (%s)', (store) => {
  const fx = useMemberServer(store, { BACKCHANNEL_LOGOUT_RETRY_SECONDS: '0.05', WEBHOOK_POLL_MS: '50' });
  let receiver: LogoutReceiver;
  let hooks: WebhookReceiver;
  let cafe: oidc.Configuration;
  let partnerId: string;
  let shop: oidc.Configuration;
  let shopApi: { clientId: string; secret: string };
  let other: oidc.Configuration;
  const resource = () => `${fx.server.url}/partner-api`;

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    partnerId = (await fx.server.container.storage.partners.create({ name: 'Shoe Shop' })).id;
    shop = await discover(fx.server, await registerClient(fx.server, {
      client_name: 'Shoe Shop web', partner_id: partnerId, subject_type: 'pairwise', scope: 'openid email loyalty offline_access',
      backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true,
    }));
    const api = await registerClient(fx.server, {
      client_name: 'Shoe Shop back end', partner_id: partnerId, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      scope: 'loyalty:earn members:read', allowed_resources: [resource()],
    });
    shopApi = { clientId: api.clientId, secret: api.clientSecret! };
    other = await discover(fx.server, await registerClient(fx.server, { client_name: 'Travel App', scope: 'openid email profile offline_access' }));
    // Another partner the member also uses, and webhooks: the program's, the shop's and the cafe's.
    const cafeId = (await fx.server.container.storage.partners.create({ name: 'Cafe' })).id;
    cafe = await discover(fx.server, await registerClient(fx.server, { client_name: 'Cafe web', partner_id: cafeId, subject_type: 'pairwise', scope: 'openid email' }));
    hooks = await startWebhookReceiver();
    const token = await fx.server.adminToken();
    const admin = adminCaller(() => fx.server, () => token);
    for (const [path, partner] of [['/program', undefined], ['/shop', partnerId], ['/cafe', cafeId]] as const) {
      const created = await admin('POST', '/admin/webhooks', { url: `${hooks.url}${path}`, events: ['grant.revoked', 'member.deleted'], ...(partner ? { partner_id: partner } : {}) });
      expect(created.status).toBe(201);
      hooks.expect(path, { current: (created.body as { secret: string }).secret });
    }
  });
  afterAll(async () => {
    receiver?.server.close();
    await hooks?.close();
  });

  /** Signs the browser in at `config` (single sign-on when it has a session), consenting when asked. */
  async function signInAt(config: oidc.Configuration, ua: UserAgent, email: string, scope: string) {
    const request = await authorizationRequest(config, { scope, prompt: 'consent' });
    let page = await ua.follow(request.url);
    if (page.body.includes('name="password"')) page = await signIn(ua, page, email, undefined, { consent: false });
    const askedConsent = page.status === 200 && page.body.includes('/consent"');
    if (askedConsent) page = await ua.submit(page, '/consent', { decision: 'allow' });
    if (!page.url.startsWith(REDIRECT_URI)) throw new Error(`sign-in at ${config.clientMetadata().client_id}: ${page.status} ${page.url}\n${page.body.slice(0, 1500)}`);
    const tokens = await exchange(config, page.url, request);
    return { askedConsent, sub: tokens.claims()!.sub, sid: tokens.claims()!.sid as string, accessToken: tokens.access_token, refreshToken: tokens.refresh_token! };
  }

  /** A member signed in at the shop (a partner) and at the travel app (a lone client), in one browser. */
  async function memberOfBoth(prefix: string) {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    const atShop = await signInAt(shop, ua, email, 'openid email loyalty offline_access');
    const atOther = await signInAt(other, ua, email, 'openid email offline_access');
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    await fx.server.container.deliveries.drain();
    return { email, ua, accountId, atShop, atOther };
  }

  function entries(page: Page): Array<{ key: string; text: string }> {
    return [...page.body.matchAll(/<li class="settings-item" data-app="([^"]+)">([\s\S]*?)<\/li>\s*(?=<li class="settings-item"|<\/ul>\s*<p class="link-row">)/g)]
      .map((match) => ({ key: match[1]!, text: match[2]!.replace(/<[^>]+>/g, ' ').replace(/&#39;|&#34;/g, "'").replace(/\s+/g, ' ').trim() }));
  }

  /** The confirmation page's form for an entry, as the member would post it. */
  async function confirmation(ua: UserAgent, key: string): Promise<{ page: Page; form: { csrf: string; app: string; stamp: string } }> {
    const page = await ua.follow(`/account/apps/stop?app=${encodeURIComponent(key)}`);
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.body)?.[1] ?? '';
    return { page, form: { csrf: accountCsrf(page), app: field('app').replace(/&amp;/g, '&'), stamp: field('stamp') } };
  }

  async function partnerToken(): Promise<string> {
    const response = await fetch(`${fx.server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${shopApi.clientId}:${shopApi.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'loyalty:earn members:read', resource: resource() }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const partnerRead = async (sub: string) => (await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(sub)}`, { headers: { authorization: `Bearer ${await partnerToken()}` } })).status;
  const partnerEarn = async (sub: string) => (await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(sub)}/points`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await partnerToken()}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ points: 10, reason: 'probe' }),
  })).status;
  const userinfo = async (config: oidc.Configuration, accessToken: string) =>
    (await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const introspected = async (config: oidc.Configuration, token: string) => (await oidc.tokenIntrospection(config, token)).active;
  async function refreshWorks(config: oidc.Configuration, refreshToken: string): Promise<boolean> {
    try {
      await oidc.refreshTokenGrant(config, refreshToken);
      return true;
    } catch {
      return false;
    }
  }

  async function logoutTokensSince(before: number) {
    await fx.server.container.backchannelLogout.settled();
    const jwks = createRemoteJWKSet(new URL(shop.serverMetadata().jwks_uri!));
    return Promise.all(receiver.tokens.slice(before).map(async (token) => (await jwtVerify(token, jwks, { issuer: fx.server.url })).payload));
  }

  test('lists the partner and the app with what each receives in words, since when and last used, linked from the security page', async () => {
    const { ua } = await memberOfBoth('apps-list');
    const security = await ua.follow('/account/security');
    expect(security.body).toContain('href="/account/apps"');
    const page = await ua.follow('/account/apps');
    expect(page.status).toBe(200);
    const listed = entries(page);
    expect(listed.map((entry) => entry.key).sort()).toEqual([`client:${other.clientMetadata().client_id}`, `partner:${partnerId}`].sort());
    const shopEntry = listed.find((entry) => entry.key === `partner:${partnerId}`)!;
    expect(shopEntry.text).toContain('Shoe Shop');
    expect(shopEntry.text).toContain('Your email address');
    expect(shopEntry.text).toContain('Your member number, tier and points balance');
    expect(shopEntry.text).toMatch(/Sharing since \w+ \d+, \d{4} · last used \w+ \d+, \d{4}/);
    expect(shopEntry.text).toContain('Stop sharing');
    const otherEntry = listed.find((entry) => entry.key.startsWith('client:'))!;
    expect(otherEntry.text).toContain('Travel App');
    expect(otherEntry.text).not.toContain('points balance');
    // The account pages' own console is ours, not a partner: never listed.
    expect(page.body).not.toContain('loyalty-account-console');
  });

  test('Stop sharing: back-channel logout, dead refresh and access tokens, partner API 404, consent asked again; the other app keeps working', async () => {
    const { ua, email, accountId, atShop, atOther } = await memberOfBoth('apps-stop');
    const atCafe = await signInAt(cafe, ua, email, 'openid email');
    expect(await partnerRead(atShop.sub)).toBe(200);
    expect(await introspected(shop, atShop.accessToken)).toBe(true);
    const refreshed = await oidc.refreshTokenGrant(shop, atShop.refreshToken);
    const { page: confirm, form } = await confirmation(ua, `partner:${partnerId}`);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Stop sharing with Shoe Shop?');
    const before = receiver.tokens.length;
    const done = await ua.follow('/account/apps/stop', { form });
    expect(done.url).toContain('/account/apps?notice=stopped');
    expect(noticeOn(done)).toContain('no longer has access');
    expect(entries(done).map((entry) => entry.key)).not.toContain(`partner:${partnerId}`);
    expect(entries(done).map((entry) => entry.key)).toContain(`client:${other.clientMetadata().client_id}`);

    // The partner's client hears of it by back channel, for the member's session there.
    const logouts = await logoutTokensSince(before);
    expect(logouts.map((payload) => [payload.aud, payload.sid, payload.sub])).toEqual([[shop.clientMetadata().client_id, atShop.sid, atShop.sub]]);
    // Every refresh and access token the shop held for the member is dead (the first access token and the rotated pair).
    expect(await refreshWorks(shop, refreshed.refresh_token!)).toBe(false);
    expect(await introspected(shop, atShop.accessToken)).toBe(false);
    expect(await introspected(shop, refreshed.access_token)).toBe(false);
    expect(await userinfo(shop, refreshed.access_token)).toBe(401);
    // The partner API no longer finds the member.
    expect(await partnerRead(atShop.sub)).toBe(404);
    expect(await partnerEarn(atShop.sub)).toBe(404);
    // The other app is untouched.
    expect(await userinfo(other, atOther.accessToken)).toBe(200);
    expect(await refreshWorks(other, atOther.refreshToken)).toBe(true);
    // Recorded: the outbox event and the audit entry.
    const { storage } = fx.server.container;
    expect(await storage.consents.find(accountId, shop.clientMetadata().client_id)).toBeUndefined();
    const events = await storage.events.listByTime({ from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 1000), limit: 500 });
    expect(events.filter((event) => event.type === 'grant.revoked' && event.memberId === accountId).map((event) => event.data.client_id)).toEqual([shop.clientMetadata().client_id]);
    const audited = await storage.audit.list({ accountId, types: ['grant.revoked'], limit: 5 });
    expect(audited.map((event) => event.details.partner_id)).toEqual([partnerId]);
    // Webhooks: the program's by the member id, the shop's by the sub the shop knew; the cafe (where the member
    // also signed in) hears nothing of where else the member goes (checked at the end, once deliveries had time).
    const revoked = (path: string, sub: string) => hooks.unique(path).filter((message) => message.type === 'grant.revoked' && message.body.data.sub === sub);
    const toProgram = await waitFor(() => revoked('/program', accountId)[0], { timeoutMs: 60_000, what: 'grant.revoked to the program' });
    expect(toProgram.body.data).toMatchObject({ client_id: shop.clientMetadata().client_id, partner_id: partnerId });
    const toShop = await waitFor(() => revoked('/shop', atShop.sub)[0], { timeoutMs: 60_000, what: 'grant.revoked to the shop' });
    expect(toShop.body.data).toMatchObject({ client_id: shop.clientMetadata().client_id, partner_id: partnerId });

    // Signing in at the shop again asks for consent again; once given, the partner API finds the member again.
    const again = await signInAt(shop, ua, email, 'openid email loyalty offline_access');
    expect(again.askedConsent).toBe(true);
    expect(again.sub).toBe(atShop.sub);
    expect(await partnerRead(again.sub)).toBe(200);
    expect(await refreshWorks(shop, again.refreshToken)).toBe(true);
    expect(entries(await ua.follow('/account/apps')).map((entry) => entry.key)).toContain(`partner:${partnerId}`);
    expect(hooks.unique('/cafe').filter((message) => message.body.data.sub === atCafe.sub)).toEqual([]);
  });

  test('a made-up entry, another member\'s app, a replayed or doubled form and a POST without the CSRF token change nothing', async () => {
    const victim = await memberOfBoth('apps-victim');
    const attacker = await memberOfBoth('apps-attacker');
    const otherKey = `client:${other.clientMetadata().client_id}`;
    // The attacker stops sharing with the travel app using the victim's stamp: their own entry's stamp differs.
    const { form: victimForm } = await confirmation(victim.ua, otherKey);
    const { form: attackerForm } = await confirmation(attacker.ua, otherKey);
    expect(victimForm.stamp).not.toBe(attackerForm.stamp);
    for (const form of [
      { ...attackerForm, stamp: victimForm.stamp },
      { ...attackerForm, app: 'client:no-such-client' },
      { ...attackerForm, app: `client:${shop.clientMetadata().client_id}` }, // a partner's client is stopped through its partner
      { ...attackerForm, app: '' },
    ]) {
      expect((await attacker.ua.follow('/account/apps/stop', { form })).url).toContain('notice=not_found');
    }
    // The victim's form posted from the attacker's session fails the CSRF check (bound to the victim's session).
    const forged = await attacker.ua.follow('/account/apps/stop', { form: victimForm });
    expect(forged.url).not.toContain('notice=stopped');
    const noToken = await victim.ua.follow('/account/apps/stop', { form: { app: victimForm.app, stamp: victimForm.stamp } });
    expect(noToken.url).not.toContain('notice=stopped');
    // A confirmation page for something not among the member's: back to the list.
    expect((await attacker.ua.follow('/account/apps/stop?app=client%3Anope')).url).toContain('/account/apps?notice=not_found');
    for (const member of [victim, attacker]) {
      expect(await refreshWorks(other, member.atOther.refreshToken)).toBe(true);
      expect(await userinfo(other, member.atOther.accessToken)).toBe(200);
      expect(await partnerRead(member.atShop.sub)).toBe(200);
    }

    // Replayed: the victim stops sharing with the shop, signs in there again with consent, and the old form comes back.
    // Sent twice at once (a double click): one stops, the other changes nothing; one event is written.
    const { form: shopForm } = await confirmation(victim.ua, `partner:${partnerId}`);
    const twice = await Promise.all([1, 2].map(() => victim.ua.follow('/account/apps/stop', { form: shopForm })));
    expect(twice.map((page) => new URL(page.url).searchParams.get('notice')).sort()).toEqual(['not_found', 'stopped']);
    const events = await fx.server.container.storage.events.listByTime({ from: new Date(Date.now() - 120_000), to: new Date(Date.now() + 1000), limit: 500 });
    expect(events.filter((event) => event.type === 'grant.revoked' && event.memberId === victim.accountId)).toHaveLength(1);
    const again = await signInAt(shop, victim.ua, victim.email, 'openid email loyalty offline_access');
    const replayed = await victim.ua.follow('/account/apps/stop', { form: shopForm });
    expect(replayed.url).not.toContain('notice=stopped');
    // Even with this session's current CSRF token, the old entry's stamp no longer matches what is shared now.
    const fresh = (await confirmation(victim.ua, otherKey)).form.csrf;
    expect((await victim.ua.follow('/account/apps/stop', { form: { ...shopForm, csrf: fresh } })).url).toContain('notice=not_found');
    expect(await partnerRead(again.sub)).toBe(200);
    expect(await refreshWorks(shop, again.refreshToken)).toBe(true);
  });

  test('erasure tells the program and each partner the member used (member.deleted, under the sub each knew), no other partner', async () => {
    const { accountId, atShop } = await memberOfBoth('apps-erased');
    const token = await fx.server.adminToken();
    const erased = await fetch(`${fx.server.url}/admin/members/${accountId}?grace=none`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(erased.status).toBe(204);
    const deleted = (path: string, sub: string) => hooks.unique(path).filter((message) => message.type === 'member.deleted' && message.body.data.sub === sub);
    await waitFor(() => deleted('/program', accountId)[0], { timeoutMs: 60_000, what: 'member.deleted to the program' });
    const toShop = await waitFor(() => deleted('/shop', atShop.sub)[0], { timeoutMs: 60_000, what: 'member.deleted to the shop' });
    // The partner learns whom to erase and nothing else: no partner list, no other partner's sub.
    expect(Object.keys(toShop.body.data)).toEqual(['sub']);
    expect(hooks.unique('/cafe').filter((message) => message.type === 'member.deleted')).toEqual([]);
  });
});
