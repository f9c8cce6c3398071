// Threat: a taken-over account's points and coupons spent before the member gets it back. Support freezes the
// member's redemptions from the console (with a reason, audited with the person): the partner API and the account
// page refuse them with a clear error until someone unfreezes; earning stays open. The admin API does the same.
import { randomUUID } from 'node:crypto';
import { passwordSession } from '../support/account.ts';
import { consoleSignIn, staffWithApp, type StaffPerson } from '../support/staff.ts';
import { STORES } from '../support/test-server.ts';
import type { Page, UserAgent } from '../support/user-agent.ts';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { useCouponPartners } from '../protocol/partners/coupon-api.ts';

const csrfOn = (page: Page) => /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;

describe.each(STORES)('redemption freeze (%s)', (store) => {
  const setup = useCouponPartners(store);
  const { fx } = setup;
  let agent: StaffPerson;
  let agentUa: UserAgent;

  beforeAll(async () => {
    agent = await staffWithApp(fx, ['support'], 'freezer');
    agentUa = (await consoleSignIn(fx, agent)).ua;
  });

  test('frozen from the console: the partner API and the account page refuse redemptions, earning works, unfreezing restores them', async () => {
    const { api } = setup;
    const member = await setup.fixture.memberOf(setup.shop);
    const code = `FZ-${randomUUID().slice(0, 6).toUpperCase()}`;
    expect((await api.campaign(setup.shopToken, { code, per_member_limit: 3 })).status).toBe(201);

    const page = await agentUa.follow(`/console/members/${member.accountId}`);
    expect(page.body).toContain('/redemptions/freeze"');
    // A bad form and a viewer's forged one freeze nothing.
    expect((await agentUa.submit(page, '/redemptions/freeze', { reason: '' })).status).toBe(400);
    const viewerUa = (await consoleSignIn(fx, await staffWithApp(fx, ['viewer'], 'viewer'))).ua;
    const viewerPage = await viewerUa.follow(`/console/members/${member.accountId}`);
    expect(viewerPage.body).not.toContain('/redemptions/freeze"');
    expect((await viewerUa.follow(`/console/members/${member.accountId}/redemptions/freeze`, { form: { csrf: csrfOn(viewerPage), reason: 'Not mine' } })).status).toBe(403);
    expect(await fx.server.container.storage.staff.findRedemptionFreeze(member.accountId)).toBeUndefined();

    const frozen = await agentUa.submit(page, '/redemptions/freeze', { reason: 'Account takeover reported, case 12' });
    expect(frozen.url).toContain('notice=frozen');
    expect(frozen.body).toContain('data-frozen');
    const { events } = await fx.server.container.audit.list({ accountId: member.accountId, limit: 20 });
    expect(events.find((event) => event.reason === 'redemptions_frozen')).toMatchObject({
      type: 'admin.action', details: { actor: `staff:${agent.accountId}`, staff_reason: 'Account takeover reported, case 12' },
    });

    const before = await api.balanceOf(member.accountId);
    const refused = await api.redeem(setup.shopToken, member.sub, code);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'redemption_frozen', details: { reason: 'frozen_by_support' } });
    // The earn path stays open.
    const earned = await api.call('POST', setup.shopToken, `/members/${encodeURIComponent(member.sub)}/points`, { points: 5, reason: 'Purchase' }, { 'idempotency-key': randomUUID() });
    expect(earned.status).toBe(201);
    expect(await api.balanceOf(member.accountId)).toBe(before + 5);
    // The account page says what happened.
    const accountUa = await passwordSession(fx, member.email);
    const onPage = await accountUa.submit(await accountUa.follow('/account/coupon'), '/account/coupon', { code });
    expect(onPage.status).toBe(400);
    expect(onPage.body).toContain('Redemptions on your account are paused by our support team.');
    expect(await api.balanceOf(member.accountId)).toBe(before + 5);

    const unfrozen = await agentUa.submit(frozen, '/redemptions/unfreeze', { reason: 'Member has the account back' });
    expect(unfrozen.url).toContain('notice=unfrozen');
    expect(unfrozen.body).not.toContain('data-frozen');
    expect((await api.redeem(setup.shopToken, member.sub, code)).status).toBe(201);
  });

  test('the admin API freezes and unfreezes with a reason', async () => {
    const member = await setup.fixture.memberOf(setup.shop);
    const token = await fx.server.adminToken();
    const admin = adminCaller(() => fx.server, () => token);
    const path = `/admin/members/${member.accountId}/redemption-freeze`;
    expect((await admin('POST', path, {})).status).toBe(400);
    const frozen = await admin('POST', path, { reason: 'Chargeback under review' });
    expect(frozen.status).toBe(200);
    expect(frozen.body).toMatchObject({ sub: member.accountId, reason: 'Chargeback under review', frozen_by: expect.stringMatching(/^client:/) });
    // A second freeze keeps the first.
    expect((await admin('POST', path, { reason: 'Again' })).body).toMatchObject({ reason: 'Chargeback under review' });
    expect((await setup.api.redeem(setup.shopToken, member.sub, 'ANY-CODE')).status).toBe(403);
    expect((await admin('DELETE', path)).status).toBe(400);
    expect((await admin('DELETE', `${path}?reason=${encodeURIComponent('Review closed')}`)).status).toBe(204);
    expect((await admin('DELETE', `${path}?reason=${encodeURIComponent('Review closed')}`)).status).toBe(404);
    expect((await setup.api.redeem(setup.shopToken, member.sub, 'ANY-CODE')).status).toBe(404);
    // An erased member's freeze (and the reason staff typed) goes with them.
    expect((await admin('POST', path, { reason: 'Frozen before the erasure' })).status).toBe(200);
    expect((await admin('DELETE', `/admin/members/${member.accountId}?grace=none`)).status).toBe(204);
    expect(await fx.server.container.storage.staff.findRedemptionFreeze(member.accountId)).toBeUndefined();
  });
});
