// Merging a duplicate into a member from the console (issue 21 item 1, support-initiated) over HTTP: support names
// the other member, records the proof and a reason, sees what will move, and confirms; the points end on the
// survivor and the other member is gone. A viewer is refused, a bad or tampered form merges nothing, and sending
// the confirmation twice merges once.
import { randomUUID } from 'node:crypto';
import { consoleSignIn, staffAccount, staffWithApp } from '../support/staff.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { Page, UserAgent } from '../support/user-agent.ts';

const hidden = (page: Page, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.body)?.[1];

describe.each(STORES)('console merge (%s)', (store) => {
  const fx = useMemberServer(store);
  let agent: UserAgent;
  let viewer: UserAgent;

  beforeAll(async () => {
    agent = (await consoleSignIn(fx, await staffWithApp(fx, ['support'], 'merger'))).ua;
    viewer = (await consoleSignIn(fx, await staffWithApp(fx, ['viewer'], 'onlooker'))).ua;
  });

  async function memberWith(points: number, prefix: string) {
    const person = await staffAccount(fx.server, [], prefix);
    const posted = await fx.server.container.storage.loyalty.post({ accountId: person.accountId, kind: 'earn', points, partnerId: null, reason: 'test', idempotencyKey: `test:${randomUUID()}`, requestHash: 'h' });
    expect(posted.ok).toBe(true);
    return person;
  }

  const balanceOf = async (accountId: string) => (await fx.server.container.storage.loyalty.findMember(accountId))!.balance;
  const form = (other: string, overrides: Record<string, string> = {}) => ({ other, method: 'identity_document', reference: 'ID ending 4821', reason: 'Same person at the kiosk and on the web', ...overrides });

  test('support previews what will move, confirms, and the points end on the survivor', async () => {
    const survivor = await memberWith(100, 'survivor');
    const duplicate = await memberWith(250, 'duplicate');
    const start = await agent.follow(`/console/members/${survivor.accountId}`);
    expect(start.body).toContain(`href="/console/members/${survivor.accountId}/merge"`);

    const page = await agent.follow(`/console/members/${survivor.accountId}/merge`);
    expect(page.status).toBe(200);
    const preview = await agent.submit(page, '/merge/preview', form(duplicate.email));
    expect(preview.status).toBe(200);
    expect(preview.body).toContain(`data-absorbed="${duplicate.accountId}"`);
    expect(preview.body).toContain('data-points-moving="250"');
    expect(preview.body).toContain('data-balance-after="350"');
    // Nothing changed yet.
    expect(await balanceOf(duplicate.accountId)).toBe(250);

    const done = await agent.submit(preview, '/merge', {});
    expect(done.url).toContain(`/console/members/${survivor.accountId}?notice=merged`);
    expect(done.body).toContain('The members were merged.');
    expect(await balanceOf(survivor.accountId)).toBe(350);
    expect(await fx.server.container.storage.accounts.findById(duplicate.accountId)).toBeUndefined();
    const { events } = await fx.server.container.audit.list({ accountId: survivor.accountId, types: ['member.merged'], limit: 5 });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0]!.details)).toContain('staff:');

    // The same confirmation sent again answers the first merge: no second move of points.
    const again = await agent.submit(preview, '/merge', {});
    expect(again.url).toContain('notice=merged');
    expect(await balanceOf(survivor.accountId)).toBe(350);
  });

  test('the member number finds the other member too; the member itself, an unknown one or a bad form merges nothing', async () => {
    const survivor = await memberWith(10, 'keeper');
    const duplicate = await memberWith(20, 'copy');
    const number = (await fx.server.container.storage.loyalty.findMember(duplicate.accountId))!.memberNumber;
    const page = await agent.follow(`/console/members/${survivor.accountId}/merge`);

    const byNumber = await agent.submit(page, '/merge/preview', form(number));
    expect(byNumber.body).toContain(`data-absorbed="${duplicate.accountId}"`);

    const itself = await agent.submit(page, '/merge/preview', form(survivor.email));
    expect(itself.status).toBe(409);
    expect(itself.body).toContain('That is this member: choose the other one.');
    const unknown = await agent.submit(page, '/merge/preview', form('nobody@example.com'));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('No member matches this.');
    for (const bad of [{ reference: '' }, { reason: 'x' }, { method: 'password' }] as Record<string, string>[]) {
      const refused = await agent.submit(page, '/merge/preview', form(duplicate.email, bad));
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('aria-invalid="true"');
    }

    // A confirmation whose hidden member was changed to the survivor itself is refused by the merge.
    const tampered = await agent.submit(byNumber, '/merge', { absorbed: survivor.accountId });
    expect(tampered.status).toBe(409);
    expect(hidden(byNumber, 'absorbed')).toBe(duplicate.accountId);
    expect(await balanceOf(survivor.accountId)).toBe(10);
    expect(await balanceOf(duplicate.accountId)).toBe(20);
  });

  test('a viewer cannot open the merge form nor post it', async () => {
    const survivor = await memberWith(5, 'seen');
    const duplicate = await memberWith(5, 'seen-too');
    expect((await viewer.follow(`/console/members/${survivor.accountId}`)).body).not.toContain('/merge"');
    expect((await viewer.follow(`/console/members/${survivor.accountId}/merge`)).status).toBe(403);
    const agentPage = await agent.follow(`/console/members/${survivor.accountId}/merge`);
    const viewerPage = await viewer.follow(`/console/members/${survivor.accountId}`);
    const csrf = hidden(viewerPage, 'csrf')!;
    const posted = await viewer.follow(`/console/members/${survivor.accountId}/merge/preview`, { form: { csrf, ...form(duplicate.email) } });
    expect(posted.status).toBe(403);
    expect(agentPage.status).toBe(200);
    expect(await balanceOf(duplicate.accountId)).toBe(5);
  });
});
