// What partners see of a merge of two of their members (issue 21 item 1): the partner API answers the absorbed
// member's old sub with 410 member_merged naming the survivor's sub, and the partner's webhook gets member.merged
// under the survivor's sub with the old one as merged_sub. The absorbed member's sessions end. Both stores.
import { randomUUID } from 'node:crypto';
import { useMemberServer } from '../../support/suite.ts';
import { STORES } from '../../support/test-server.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';
import { adminCaller } from '../admin/admin-api.ts';
import { partnerFixture } from './partner-fixture.ts';

const ENV = { WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_BASE_MS: '5', WEBHOOK_RETRY_WINDOW_SECONDS: '5' };

describe.each(STORES)('member merge as partners see it (%s)', (store) => {
  const fx = useMemberServer(store, ENV);
  let admin: ReturnType<typeof adminCaller>;
  let receiver: WebhookReceiver;
  const { partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  test('the old sub answers 410 with the new sub, the webhook hears member.merged with both subs, the absorbed sessions end', async () => {
    const shop = await partner(`Merge shop ${randomUUID().slice(0, 8)}`);
    const hook = await admin('POST', '/admin/webhooks', { url: `${receiver.url}/merged`, events: ['member.merged'], partner_id: shop.partnerId });
    expect(hook.status).toBe(201);
    receiver.expect('/merged', { current: (hook.body as unknown as { secret: string }).secret });
    const survivor = await memberOf(shop);
    const absorbed = await memberOf(shop);
    expect(await fx.server.container.storage.oidc.findByAccountId('Session', absorbed.accountId)).not.toEqual([]);
    const token = await partnerToken(shop);
    const earned = await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(absorbed.sub)}/points`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify({ points: 40, reason: 'order' }),
    });
    expect(earned.status).toBe(201);

    const merged = await admin('POST', `/admin/members/${survivor.accountId}/merge`,
      { absorbed: absorbed.accountId, reason: 'one person, two sign-ups', proof: { method: 'contact_verified', reference: 'called the verified phone' } }, { 'idempotency-key': randomUUID() });
    expect(merged.status).toBe(201);
    expect(merged.body).toMatchObject({ survivor: survivor.accountId, absorbed: absorbed.accountId, status: 'done', points_moved: 40,
      subjects: [{ partner_id: shop.partnerId, old_sub: absorbed.sub, new_sub: survivor.sub }] });

    const old = await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(absorbed.sub)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(old.status).toBe(410);
    expect(await old.json()).toMatchObject({ error: 'member_merged', sub: survivor.sub });
    const earnOld = await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(absorbed.sub)}/points`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify({ points: 5, reason: 'late order' }),
    });
    expect(earnOld.status).toBe(410);
    const current = await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(survivor.sub)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(current.status).toBe(200);
    expect(await current.json()).toMatchObject({ sub: survivor.sub, points_balance: 40 });
    // Another partner asking for that old sub learns nothing: the redirect is the knowing partner's only.
    const other = await partner(`Other shop ${randomUUID().slice(0, 8)}`);
    const otherToken = await partnerToken(other);
    expect((await fetch(`${fx.server.url}/partner-api/v1/members/${encodeURIComponent(absorbed.sub)}`, { headers: { authorization: `Bearer ${otherToken}` } })).status).toBe(404);

    const message = await waitFor(() => receiver.unique('/merged').find((m) => m.type === 'member.merged'), { timeoutMs: 60_000, what: 'member.merged' });
    expect(message.body.data).toEqual({ sub: survivor.sub, merged_sub: absorbed.sub });
    expect(await fx.server.container.storage.oidc.findByAccountId('Session', absorbed.accountId)).toEqual([]);
  });
});
