// The console's member page and support's actions (issue 20 item 2) over HTTP: the page shows consents, devices,
// coupons and the audit trail in words; removing a factor (member emailed), unblocking sign-ins, downloading the
// export and scheduling an erasure each need a reason, are audited with the staff member, are refused to a viewer
// and without the session's CSRF token, and change nothing on a bad form.
import { randomUUID } from 'node:crypto';
import { consoleSignIn, staffAccount, staffWithApp, type StaffPerson } from '../support/staff.ts';
import { attempt, browserFrom, member as passwordMember, PASSWORD, passwordAccepted } from '../support/attack.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page, UserAgent } from '../support/user-agent.ts';

const csrfOn = (page: Page) => /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;

describe.each(STORES)('console member actions (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true' });
  let agent: StaffPerson;
  let agentUa: UserAgent;
  let viewerUa: UserAgent;

  beforeAll(async () => {
    agent = await staffWithApp(fx, ['support'], 'support');
    agentUa = (await consoleSignIn(fx, agent)).ua;
    viewerUa = (await consoleSignIn(fx, await staffWithApp(fx, ['viewer'], 'viewer'))).ua;
  });

  const page = async (ua: UserAgent, accountId: string) => {
    const shown = await ua.follow(`/console/members/${accountId}`);
    expect(shown.status).toBe(200);
    return shown;
  };
  const eventsOf = async (accountId: string) => (await fx.server.container.audit.list({ accountId, limit: 50 })).events;

  test('the member page shows consents, devices, coupons and the audit trail in words', async () => {
    const { container } = fx.server;
    const someone = await staffWithApp(fx, [], 'shown');
    await container.purposeConsents.record(someone.accountId, [{ purpose: 'marketing_email', version: 1, granted: true }], { channel: 'web', clientId: null, method: 'account_page' });
    const campaign = await container.coupons.createCampaign({
      partnerId: randomUUID(), code: `CM-${randomUUID().slice(0, 8).toUpperCase()}`, points: 30, perMemberLimit: 1, totalLimit: 10,
      startsAt: new Date(Date.now() - 3600_000), endsAt: new Date(Date.now() + 3600_000),
    });
    expect((await container.coupons.redeem({ campaign }, someone.accountId)).ok).toBe(true);
    const shown = await page(agentUa, someone.accountId);
    expect(shown.body).toContain('data-consent="marketing_email" data-state="granted"');
    expect(shown.body).toContain('Offers to your inbox');
    expect(shown.body).toContain('data-device');
    expect(shown.body).toContain(campaign.code!);
    expect(shown.body).toContain('Linked accounts');
    expect(shown.body).toContain('Claimed cards');
    // The trail in words: "Signed in", never the raw type, for a known type.
    expect(shown.body).toMatch(/data-audit-type="sign_in.success"><p>Signed in/);
    expect(shown.body).toMatch(/data-audit-type="factor.added"><p>Sign-in method added/);
    expect(shown.body).not.toContain('<code>sign_in.success</code>');
  });

  test.each([
    ['factors/remove', { factor: 'totp', reason: 'No token' }],
    ['unblock', { reason: 'No token' }],
    ['redemptions/freeze', { reason: 'No token' }],
    ['redemptions/unfreeze', { reason: 'No token' }],
    ['export', { reason: 'No token' }],
    ['erase', { confirm: 'x', reason: 'No token' }],
  ])('POST %s without the session\'s CSRF token is refused and records nothing', async (action, form) => {
    const { accountId } = await staffAccount(fx.server, [], 'csrf');
    for (const csrf of ['', 'forged']) {
      const refused = await agentUa.follow(`/console/members/${accountId}/${action}`, { form: { ...form, csrf } });
      expect(refused.status).toBe(403);
    }
    expect((await eventsOf(accountId)).filter((event) => event.details.actor === `staff:${agent.accountId}`)).toEqual([]);
    expect(await fx.server.container.storage.staff.findRedemptionFreeze(accountId)).toBeUndefined();
    expect(await fx.server.container.erasure.scheduled(accountId)).toBeUndefined();
  });

  test('support removes a member\'s authenticator app with a reason: audited with the person, the member emailed', async () => {
    const someone = await staffWithApp(fx, [], 'app-lost');
    const before = await page(agentUa, someone.accountId);
    expect(before.body).toContain('value="totp"');
    // A bad form (no reason) and a viewer's forged form change nothing.
    expect((await agentUa.submit(before, '/factors/remove', { factor: 'totp', reason: '' })).status).toBe(400);
    expect((await agentUa.submit(before, '/factors/remove', { factor: 'sms', reason: 'Lost the phone' })).status).toBe(400);
    const viewerPage = await page(viewerUa, someone.accountId);
    expect(viewerPage.body).not.toContain('/factors/remove"');
    const forged = await viewerUa.follow(`/console/members/${someone.accountId}/factors/remove`, { form: { csrf: csrfOn(viewerPage), factor: 'totp', reason: 'Not mine to do' } });
    expect(forged.status).toBe(403);
    const noToken = await agentUa.follow(`/console/members/${someone.accountId}/factors/remove`, { form: { csrf: 'forged', factor: 'totp', reason: 'No token' } });
    expect(noToken.status).toBe(403);
    expect((await fx.server.container.storage.factors.listByAccount(someone.accountId)).filter((f) => f.confirmedAt)).toHaveLength(1);

    await fx.server.container.deliveries.drain();
    const mails = fx.sink.countFor(someone.email);
    const done = await agentUa.submit(before, '/factors/remove', { factor: 'totp', reason: 'Member lost the phone with the app' });
    expect(done.url).toContain('notice=factor_removed');
    expect(done.body).not.toContain('value="totp"');
    expect((await fx.server.container.storage.factors.listByAccount(someone.accountId)).filter((f) => f.confirmedAt)).toHaveLength(0);
    const event = (await eventsOf(someone.accountId)).find((e) => e.type === 'factor.removed' && e.details.actor === `staff:${agent.accountId}`);
    expect(event).toMatchObject({ reason: 'totp', details: { staff_reason: 'Member lost the phone with the app' } });
    await fx.server.container.deliveries.drain();
    const mail = await fx.sink.waitForMessage(someone.email, { after: mails });
    expect(mail.text).toContain('The authenticator app and its recovery codes were removed from your account.');
    // Gone already: a second try says so and changes nothing.
    expect((await agentUa.submit(before, '/factors/remove', { factor: 'totp', reason: 'Again' })).status).toBe(404);
  });

  test('support lifts a member\'s sign-in block: the right password works again from the blocked address', async () => {
    const { email } = await passwordMember(fx, 'blocked');
    const accountId = (await fx.server.container.storage.accounts.findByEmail(email))!.id;
    const attacker = browserFrom(fx, '203.0.113.70');
    for (let i = 0; i < 10; i += 1) await attempt(fx, attacker, email, 'not the password at all');
    expect((await attempt(fx, browserFrom(fx, '203.0.113.70'), email, PASSWORD)).status).toBe(429);

    const shown = await page(agentUa, accountId);
    expect((await agentUa.submit(shown, '/unblock', { reason: 'x' })).status).toBe(400);
    const viewerPage = await page(viewerUa, accountId);
    expect((await viewerUa.follow(`/console/members/${accountId}/unblock`, { form: { csrf: csrfOn(viewerPage), reason: 'Not mine to do' } })).status).toBe(403);
    expect((await attempt(fx, browserFrom(fx, '203.0.113.70'), email, PASSWORD)).status).toBe(429);

    const done = await agentUa.submit(shown, '/unblock', { reason: 'Member called, identity checked' });
    expect(done.url).toContain('notice=unblocked');
    expect(passwordAccepted(await attempt(fx, browserFrom(fx, '203.0.113.70'), email, PASSWORD))).toBe(true);
    expect((await eventsOf(accountId)).find((e) => e.type === 'account.unlocked')).toMatchObject({
      reason: 'staff', details: { actor: `staff:${agent.accountId}`, staff_reason: 'Member called, identity checked' },
    });
  });

  test('support downloads the member\'s data export with a reason, audited; a viewer may not', async () => {
    const someone = await staffWithApp(fx, [], 'export');
    const shown = await page(agentUa, someone.accountId);
    expect((await agentUa.submit(shown, '/export', { reason: '' })).status).toBe(400);
    const viewerPage = await page(viewerUa, someone.accountId);
    expect((await viewerUa.follow(`/console/members/${someone.accountId}/export`, { form: { csrf: csrfOn(viewerPage), reason: 'Curious' } })).status).toBe(403);
    expect((await eventsOf(someone.accountId)).some((e) => e.type === 'member.exported')).toBe(false);

    const archive = await agentUa.submit(shown, '/export', { reason: 'Subject access request, ticket 77' });
    expect(archive.status).toBe(200);
    expect(archive.headers.get('content-disposition')).toBe(`attachment; filename="member-${someone.accountId}.json"`);
    expect(archive.headers.get('cache-control')).toBe('no-store');
    const parsed = JSON.parse(archive.body) as { sub: string; sections: { account: { email: string } } };
    expect([parsed.sub, parsed.sections.account.email]).toEqual([someone.accountId, someone.email]);
    expect((await eventsOf(someone.accountId)).find((e) => e.type === 'member.exported')).toMatchObject({
      reason: 'console', details: { actor: `staff:${agent.accountId}`, staff_reason: 'Subject access request, ticket 77' },
    });
  });

  test('support schedules an erasure after typing the member number; a wrong one or a viewer changes nothing', async () => {
    const someone = await staffWithApp(fx, [], 'erase');
    const number = (await fx.server.container.storage.loyalty.findMember(someone.accountId))!.memberNumber;
    const shown = await page(agentUa, someone.accountId);
    const confirm = await agentUa.follow(`/console/members/${someone.accountId}/erase`);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('name="confirm"');
    expect(shown.body).toContain(`/console/members/${someone.accountId}/erase"`);
    expect((await viewerUa.follow(`/console/members/${someone.accountId}/erase`)).status).toBe(403);

    const wrong = await agentUa.submit(confirm, '/erase', { confirm: '0000000000', reason: 'Member asked by phone' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('id="confirm-error"');
    expect(await fx.server.container.erasure.scheduled(someone.accountId)).toBeUndefined();

    const done = await agentUa.submit(confirm, '/erase', { confirm: number, reason: 'Member asked by phone, ticket 78' });
    expect(done.url).toContain('notice=erasure_scheduled');
    expect(done.body).toContain('data-erasure-scheduled');
    expect(await fx.server.container.erasure.scheduled(someone.accountId)).toBeDefined();
    expect((await eventsOf(someone.accountId)).find((e) => e.reason === 'console:erasure_requested')).toMatchObject({
      type: 'admin.action', details: { actor: `staff:${agent.accountId}`, staff_reason: 'Member asked by phone, ticket 78' },
    });
  });
});
