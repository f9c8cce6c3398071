// Webhooks as a receiver and an operator see them: domain events from real sign-ups, sign-ins and partner
// point awards arrive signed per Standard Webhooks (verified with the `standardwebhooks` reference library),
// in order per member, retried then dead-lettered, replayable, with a rotated secret signing alongside the old
// one; a partner's webhook gets only its members' events under its pairwise sub, and nothing it was not granted.
import { randomUUID } from 'node:crypto';
import { openLoginPage, UserAgent } from '../../support/member.ts';
import { authorizationRequest } from '../../support/oidc-client.ts';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';
import { adminCaller } from '../admin/admin-api.ts';
import { partnerFixture, type PartnerSetup } from '../partners/partner-fixture.ts';

/** Fast retries for tests: 5 ms doubling inside a 1 s window is eight tries, then the dead letter (a count, not a clock). */
const ENV = { WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_BASE_MS: '5', WEBHOOK_RETRY_WINDOW_SECONDS: '1' };
const WAIT = { timeoutMs: 60_000 };

interface Created { id: string; secret: string }
interface DeliveryView { id: string; event_id: string; status: string; attempts: { status: number | null; error: string | null; response: string | null }[] }

describe.each(STORES)('webhooks (%s)', (store) => {
  const fx = useMemberServer(store, ENV);
  let admin: ReturnType<typeof adminCaller>;
  let receiver: WebhookReceiver;
  let shop: PartnerSetup;
  const { partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  const earn = (token: string, sub: string, points: number, key = randomUUID()) =>
    fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(sub)}/points`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ points, reason: `order ${key.slice(0, 8)}` }),
    });

  async function subscribe(path: string, events: string[], partnerId?: string): Promise<Created> {
    const response = await admin('POST', '/admin/webhooks', { url: `${receiver.url}${path}`, events, ...(partnerId ? { partner_id: partnerId } : {}) });
    expect([response.status, response.body?.details]).toEqual([201, undefined]);
    const created = response.body as unknown as Created;
    receiver.expect(path, { current: created.secret });
    return created;
  }

  const deliveries = async (id: string) => ((await admin('GET', `/admin/webhooks/${id}/deliveries?limit=200`)).body as unknown as { items: DeliveryView[] }).items;
  /** Polls the admin API until the webhook's newest delivery reaches `status` (attempts are recorded after the answer). */
  async function settled(id: string, status: string): Promise<DeliveryView> {
    for (const started = Date.now(); Date.now() - started < WAIT.timeoutMs; await new Promise((r) => setTimeout(r, 100))) {
      const found = (await deliveries(id)).find((d) => d.status === status);
      if (found) return found;
    }
    throw new Error(`no ${status} delivery for ${id}`);
  }
  const of = (path: string, type: string, sub?: string) => receiver.unique(path).filter((m) => m.type === type && (sub === undefined || m.body.data.sub === sub));

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    shop = await partner('Webhook shop');
  });
  afterAll(async () => {
    await receiver?.close();
  });

  test('a subscription answers its id and a whsec_ secret once; reads never show the secret', async () => {
    const created = await subscribe('/shown-once', ['member.created']);
    expect(created.id).toMatch(/^wh_/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const read = await admin('GET', `/admin/webhooks/${created.id}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain(created.secret.slice(6));
    expect(read.body).toMatchObject({ id: created.id, url: `${receiver.url}/shown-once`, events: ['member.created'], partner_id: null });
    const list = await admin('GET', '/admin/webhooks');
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    expect(await admin('DELETE', `/admin/webhooks/${created.id}`)).toMatchObject({ status: 204 });
    expect((await admin('GET', `/admin/webhooks/${created.id}`)).status).toBe(404);
  });

  test('sign-up, sign-in and points arrive signed, with the member\'s public sub, each once after dedup, in ledger order', async () => {
    await subscribe('/all', ['member.created', 'member.email_verified', 'signin.succeeded', 'points.earned', 'points.redeemed']);
    const member = await memberOf(shop);
    const token = await partnerToken(shop);
    for (const points of [10, 20, 30, 40, 50]) expect((await earn(token, member.sub, points)).status).toBe(201);

    const earned = await waitFor(() => {
      const found = of('/all', 'points.earned', member.accountId);
      return found.length === 5 ? found : undefined;
    }, { ...WAIT, what: 'five points.earned deliveries' });
    expect(earned.map((m) => m.body.data.balance)).toEqual([10, 30, 60, 100, 150]);
    expect(earned[0]!.body.data).toMatchObject({ points: 10, kind: 'earn', partner_id: shop.partnerId });
    for (const message of earned) {
      expect(message.verifiedBy).toEqual(['current']);
      expect(message.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(new Date(message.body.timestamp).toString()).not.toBe('Invalid Date');
    }
    await waitFor(() => of('/all', 'signin.succeeded', member.accountId)[0], { ...WAIT, what: 'signin.succeeded' });
    const created = await waitFor(() => of('/all', 'member.created', member.accountId)[0], { ...WAIT, what: 'member.created' });
    expect(created.body.data).toMatchObject({ sub: member.accountId, channel: expect.any(String) });
    const verified = await waitFor(() => of('/all', 'member.email_verified', member.accountId)[0], { ...WAIT, what: 'member.email_verified' });
    // Data never carries the email address, a code or a token.
    for (const message of [created, verified, ...earned]) expect(JSON.stringify(message.body)).not.toContain(member.email);
    // A redemption refused for want of points writes nothing, so nothing is published for it.
    const refused = await earn(token, member.sub, -100_000);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.unique('/all').filter((m) => m.body.data.sub === member.accountId && m.type.startsWith('points.')).length).toBe(5);
  });

  test('a wrong password is signin.failed and a sign-in signin.succeeded with method, acr and amr', async () => {
    await subscribe('/signins', ['signin.failed', 'signin.succeeded']);
    const member = await memberOf(shop);
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(shop.web, { scope: 'openid email loyalty' })).url);
    await ua.submit(login, '/login', { email: member.email, password: 'not the password at all' });
    const failed = await waitFor(() => of('/signins', 'signin.failed', member.accountId)[0], { ...WAIT, what: 'signin.failed' });
    expect(failed.body.data).toMatchObject({ reason: expect.any(String) });
    expect(JSON.stringify(failed.body)).not.toContain('not the password');
    // (Verifying the sign-up signed the member in too: method sign_up, by the emailed code.)
    const succeeded = await waitFor(() => of('/signins', 'signin.succeeded', member.accountId).find((delivery) => delivery.body.data.method === 'password'), { ...WAIT, what: 'signin.succeeded' });
    expect(succeeded.body.data).toMatchObject({ method: 'password', acr: 'urn:loyalty:loa:1', amr: ['pwd'] });
  });

  test('profile changes and coupon credits are events too, without values or codes', async () => {
    await subscribe('/profile', ['member.profile_updated', 'coupon.redeemed', 'points.earned']);
    const member = await memberOf(shop);
    await fx.server.container.storage.profiles.update(member.accountId, { values: { given_name: 'Zofia' } }, new Date());
    // (Sign-up saved the member's language already: that was an update too.)
    const updated = await waitFor(() => of('/profile', 'member.profile_updated', member.accountId).find((m) => JSON.stringify(m.body.data.fields) === '["given_name"]'), { ...WAIT, what: 'member.profile_updated' });
    expect(updated.body.data).toEqual({ sub: member.accountId, fields: ['given_name'] });
    const posted = await fx.server.container.storage.loyalty.post({
      accountId: member.accountId, kind: 'earn', points: 30, partnerId: shop.partnerId, reason: 'coupon SECRET-CODE-1', idempotencyKey: `coupon:camp-1:use-${randomUUID()}`, requestHash: 'h',
    });
    expect(posted.ok).toBe(true);
    const coupon = await waitFor(() => of('/profile', 'coupon.redeemed', member.accountId)[0], { ...WAIT, what: 'coupon.redeemed' });
    expect(coupon.body.data).toMatchObject({ campaign_id: 'camp-1', points: 30, partner_id: shop.partnerId });
    const credit = await waitFor(() => of('/profile', 'points.earned', member.accountId)[0], { ...WAIT, what: 'the coupon\'s points' });
    expect(JSON.stringify([coupon.body, credit.body])).not.toContain('SECRET-CODE-1');
  });

  test('factor changes and attack-protection blocks recorded in the audit log are events', async () => {
    await subscribe('/security', ['passkey.added', 'mfa.enrolled', 'mfa.removed', 'security.blocked']);
    const accountId = randomUUID();
    const audit = fx.server.container.audit;
    await audit.record({ type: 'factor.added', accountId, reason: 'passkey' });
    await audit.record({ type: 'factor.added', accountId, reason: 'totp' });
    await audit.record({ type: 'factor.removed', accountId, reason: 'totp' });
    await audit.record({ type: 'sign_in.blocked', accountId, reason: 'pair' });
    // Not domain events: a password change is not a factor enrolment.
    await audit.record({ type: 'password.changed', accountId });
    const seen = await waitFor(() => {
      const mine = receiver.unique('/security').filter((m) => m.body.data.sub === accountId);
      return mine.length >= 4 ? mine : undefined;
    }, { ...WAIT, what: 'four security events' });
    expect(seen.map((m) => m.type)).toEqual(['passkey.added', 'mfa.enrolled', 'mfa.removed', 'security.blocked']);
    expect(seen[1]!.body.data).toMatchObject({ factor: 'totp' });
    expect(seen[3]!.body.data).toMatchObject({ rule: 'sign_in.blocked', reason: 'pair' });
  });

  test('a receiver failing three times gets the event on the fourth try; one always failing is dead-lettered; both listed with their attempts', async () => {
    const flaky = await subscribe('/flaky', ['points.earned']);
    const down = await subscribe('/down', ['points.earned']);
    receiver.failNext('/flaky', 3);
    receiver.failNext('/down', Number.POSITIVE_INFINITY);
    const member = await memberOf(shop);
    expect((await earn(await partnerToken(shop), member.sub, 5)).status).toBe(201);

    await waitFor(() => of('/flaky', 'points.earned', member.accountId)[0], { ...WAIT, what: 'the flaky receiver\'s delivery' });
    const flakyDelivery = await settled(flaky.id, 'delivered');
    expect(flakyDelivery.attempts.map((a) => a.status)).toEqual([500, 500, 500, 204]);
    expect(flakyDelivery.attempts[0]).toMatchObject({ error: 'http_500', response: 'receiver down for maintenance' });

    const dead = await settled(down.id, 'dead');
    expect(dead.attempts).toHaveLength(8);
    expect(dead!.attempts.every((a) => a.status === 500)).toBe(true);
    expect(of('/down', 'points.earned')).toHaveLength(0);

    // Replayed once the receiver is back: the same webhook-id arrives (a deduplicating receiver processes it once).
    receiver.failNext('/down', 0);
    const replay = await admin('POST', `/admin/webhooks/${down.id}/replay`, { delivery_id: dead.id });
    expect(replay).toMatchObject({ status: 202, body: { queued: 1 } });
    const replayed = await waitFor(() => of('/down', 'points.earned', member.accountId)[0], { ...WAIT, what: 'the replayed delivery' });
    expect(replayed.id).toBe(dead.event_id);
  });

  test('a time range is replayed to a webhook made after its events, and a replay keeps the webhook-id', async () => {
    const member = await memberOf(shop);
    const from = new Date(Date.now() - 60_000).toISOString();
    expect((await earn(await partnerToken(shop), member.sub, 7)).status).toBe(201);
    const late = await subscribe('/late', ['points.earned']);
    const replay = await admin('POST', `/admin/webhooks/${late.id}/replay`, { from, to: new Date(Date.now() + 1000).toISOString() });
    expect(replay.status).toBe(202);
    const message = await waitFor(() => of('/late', 'points.earned', member.accountId)[0], { ...WAIT, what: 'the range replay' });
    expect(message.body.data).toMatchObject({ points: 7 });
    // Again: the same id on the wire, once after dedup.
    await admin('POST', `/admin/webhooks/${late.id}/replay`, { from, to: new Date(Date.now() + 1000).toISOString() });
    await waitFor(() => {
      const copies = receiver.wire.filter((m) => m.path === '/late' && m.id === message.id);
      return copies.length >= 2 ? copies : undefined;
    }, { ...WAIT, what: 'the second replay on the wire' });
    expect(of('/late', 'points.earned', member.accountId)).toHaveLength(1);
  });

  test('after a rotation both the new and the old secret verify each delivery during the overlap', async () => {
    const hook = await subscribe('/rotated', ['points.earned']);
    const rotated = await admin('POST', `/admin/webhooks/${hook.id}/secret/rotate`);
    expect(rotated.status).toBe(201);
    const { secret, previous_secret_expires_at: until } = rotated.body as unknown as { secret: string; previous_secret_expires_at: string };
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(hook.secret);
    expect(new Date(until).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    receiver.expect('/rotated', { old: hook.secret, new: secret });
    const member = await memberOf(shop);
    expect((await earn(await partnerToken(shop), member.sub, 3)).status).toBe(201);
    const message = await waitFor(() => of('/rotated', 'points.earned', member.accountId)[0], { ...WAIT, what: 'a delivery after rotation' });
    expect(message.verifiedBy.sort()).toEqual(['new', 'old']);
    expect(message.signature.split(' ')).toHaveLength(2);
  });

  test('a partner\'s webhook gets only its members\' events, under their pairwise sub, and only what they granted', async () => {
    const cafe = await partner('Webhook cafe');
    const hook = await subscribe('/cafe', ['points.earned', 'member.email_verified'], cafe.partnerId);
    const ours = await memberOf(cafe);
    const stranger = await memberOf(shop);
    const noLoyalty = await memberOf(cafe, 'openid email');
    expect((await earn(await partnerToken(cafe), ours.sub, 11)).status).toBe(201);
    expect((await earn(await partnerToken(shop), stranger.sub, 12)).status).toBe(201);
    expect((await earn(await partnerToken(cafe), noLoyalty.sub, 13)).status).toBe(201);
    const both = await memberOf(cafe);
    const message = await waitFor(() => of('/cafe', 'points.earned', ours.sub)[0], { ...WAIT, what: 'the cafe member\'s points' });
    expect(ours.sub).not.toBe(ours.accountId);
    expect(message.body.data).toMatchObject({ sub: ours.sub, points: 11, partner_id: cafe.partnerId });
    expect(JSON.stringify(message.body)).not.toContain(ours.accountId);
    // A later event for the cafe members shows the earlier ones were relayed already; nothing for the others.
    expect((await earn(await partnerToken(cafe), both.sub, 14)).status).toBe(201);
    await waitFor(() => of('/cafe', 'points.earned', both.sub)[0], { ...WAIT, what: 'the second cafe member\'s points' });
    const seen = receiver.unique('/cafe');
    expect(seen.some((m) => m.body.data.sub === stranger.sub || m.body.data.sub === stranger.accountId)).toBe(false);
    expect(seen.some((m) => m.body.data.points === 12 || m.body.data.points === 13)).toBe(false);
    expect(seen.every((m) => m.body.data.sub !== undefined && m.body.data.sub !== null)).toBe(true);
    expect(hook.id).toMatch(/^wh_/);
  });

  test('a receiver answering with a redirect is not followed: each try fails as a redirect, then the dead letter', async () => {
    const hook = await subscribe('/moved', ['points.earned']);
    receiver.redirect('/moved', 'http://169.254.169.254/latest/meta-data/');
    const member = await memberOf(shop);
    // The points call itself is not held up by the receiver.
    expect((await earn(await partnerToken(shop), member.sub, 9)).status).toBe(201);
    const dead = await settled(hook.id, 'dead');
    expect(dead.attempts.every((a) => a.error === 'redirect' && a.status === null)).toBe(true);
  });

  test('bad subscriptions are refused with the field named', async () => {
    const refused = async (body: unknown, field: string) => {
      const response = await admin('POST', '/admin/webhooks', body);
      expect([response.status, Object.keys(response.body?.details?.fields ?? {})]).toEqual([400, [field]]);
      return response.body!.details!.fields[field]!;
    };
    expect(await refused({ url: 'http://example.com/hook', events: ['member.created'] }, 'url')).toMatch(/https/);
    expect(await refused({ url: 'https://10.1.2.3/hook', events: ['member.created'] }, 'url')).toMatch(/private|special-use/);
    expect(await refused({ url: 'https://[fd00::1]/hook', events: ['member.created'] }, 'url')).toMatch(/private|special-use/);
    expect(await refused({ url: 'https://169.254.169.254/latest/meta-data', events: ['member.created'] }, 'url')).toMatch(/private|special-use|link-local/);
    expect(await refused({ url: 'https://no-such-host.invalid/hook', events: ['member.created'] }, 'url')).toMatch(/does not resolve/);
    expect(await refused({ url: `${receiver.url}/x`, events: ['member.teleported'] }, 'events')).toMatch(/unknown event type/);
    expect(await refused({ url: `${receiver.url}/x`, events: ['signin.succeeded'], partner_id: shop.partnerId }, 'events')).toMatch(/partner/);
    expect(await refused({ url: `${receiver.url}/x`, events: ['points.earned'], partner_id: 'nope' }, 'partner_id')).toMatch(/no partner/);
    expect(await refused({ url: `${receiver.url}/x`, events: [] }, 'events')).toBeTruthy();
  });

  test('outbox backlog and delivery outcomes are on /metrics', async () => {
    const text = await (await fetch(`${fx.server.url}/metrics`)).text();
    expect(text).toMatch(/^loyalty_outbox_backlog\{queue="events"\} \d+$/m);
    expect(text).toMatch(/^loyalty_outbox_backlog\{queue="deliveries"\} \d+$/m);
    expect(text).toMatch(/^loyalty_webhook_deliveries_total\{outcome="delivered"\} [1-9]\d*$/m);
    expect(text).toMatch(/^loyalty_webhook_deliveries_total\{outcome="dead"\} [1-9]\d*$/m);
  });
});

