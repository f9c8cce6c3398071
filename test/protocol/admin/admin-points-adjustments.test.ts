// POST /admin/members/{id}/points-adjustments (issue 20): a signed amount with a reason and an Idempotency-Key,
// never below a zero balance, stale forms refused; above the caller's role limit a second staff member approves
// (never the requester); every step audited with the person.
import { staffAccount, staffToken } from '../../support/staff.ts';
import { STORES } from '../../support/test-server.ts';
import { type AdminResponse, useAdminServer } from './admin-api.ts';

interface AdjustBody {
  status?: string;
  error?: string;
  entry?: { id: string; points: number; balance_after: number; reason: string };
  adjustment?: { id: string; status: string; points: number; requested_by: string; decided_by: string | null };
  balance_after?: number;
  items?: { id: string }[];
  points_version?: number;
}

const body = (result: AdminResponse) => result.body as unknown as AdjustBody;

describe.each(STORES)('admin API: points adjustments (%s)', (store) => {
  const admin = useAdminServer(store);
  let keys = 0;
  const key = () => `key-${process.pid}-${(keys += 1)}`;

  async function balance(accountId: string): Promise<number> {
    return (await admin.server.container.storage.loyalty.findMember(accountId))!.balance;
  }

  function adjust(memberId: string, payload: unknown, options: { token?: string; key?: string } = {}) {
    return admin.call('POST', `/admin/members/${memberId}/points-adjustments`, payload, {
      'idempotency-key': options.key ?? key(), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    });
  }

  test('the admin client adds and takes points with a reason; a retry with the same key answers the first result', async () => {
    const { accountId } = await staffAccount(admin.server, [], 'member');
    const first = await adjust(accountId, { points: 120, reason: 'Goodwill: late delivery' }, { key: 'goodwill-1' });
    expect(first.status).toBe(201);
    expect(body(first)).toMatchObject({ status: 'applied', entry: { points: 120, balance_after: 120, reason: 'Goodwill: late delivery' } });
    const again = await adjust(accountId, { points: 120, reason: 'Goodwill: late delivery' }, { key: 'goodwill-1' });
    expect(again.status).toBe(200);
    expect(body(again).entry!.id).toBe(body(first).entry!.id);
    expect((await adjust(accountId, { points: 121, reason: 'Goodwill: late delivery' }, { key: 'goodwill-1' })).status).toBe(409);
    expect((await adjust(accountId, { points: -20, reason: 'Duplicate credit' })).status).toBe(201);
    expect(await balance(accountId)).toBe(100);
  });

  test('an adjustment below a zero balance is refused and changes nothing', async () => {
    const { accountId } = await staffAccount(admin.server, [], 'member');
    await adjust(accountId, { points: 30, reason: 'Opening credit' });
    const refused = await adjust(accountId, { points: -31, reason: 'Reversal' });
    expect(refused.status).toBe(409);
    expect(body(refused).error).toBe('insufficient_points');
    expect(await balance(accountId)).toBe(30);
    expect(await admin.server.container.storage.loyalty.sumEntries(accountId)).toBe(30);
  });

  test('bad input is a clear 400 or 404, nothing changed', async () => {
    const { accountId } = await staffAccount(admin.server, [], 'member');
    expect((await admin.call('POST', `/admin/members/${accountId}/points-adjustments`, { points: 5, reason: 'No key' })).status).toBe(400);
    for (const payload of [{ points: 0, reason: 'Zero' }, { points: 1.5, reason: 'Half' }, { points: 5 }, { points: 5, reason: '' }, { points: '5', reason: 'Text' }, { points: 5, reason: 'ok ok', extra: 1 }]) {
      expect([payload, (await adjust(accountId, payload)).status]).toEqual([payload, 400]);
    }
    expect((await adjust('no-such-member', { points: 5, reason: 'Unknown' })).status).toBe(404);
    expect(await balance(accountId)).toBe(0);
  });

  test('a stale form (the points changed since it was read) is refused', async () => {
    const { accountId } = await staffAccount(admin.server, [], 'member');
    const read = await admin.call('GET', `/admin/members/${accountId}/points-adjustments`);
    const version = body(read).points_version!;
    // Someone else adjusts in between.
    expect((await adjust(accountId, { points: 10, reason: 'Other agent' })).status).toBe(201);
    const stale = await adjust(accountId, { points: 10, reason: 'Same fix twice', expected_version: version });
    expect(stale.status).toBe(409);
    expect(await balance(accountId)).toBe(10);
    const fresh = body(await admin.call('GET', `/admin/members/${accountId}/points-adjustments`)).points_version!;
    expect((await adjust(accountId, { points: 5, reason: 'Fresh form', expected_version: fresh })).status).toBe(201);
  });

  test('above the support limit a second person approves; the requester cannot; it applies once', async () => {
    const member = await staffAccount(admin.server, [], 'member');
    const requester = await staffAccount(admin.server, ['support'], 'support-a');
    const approver = await staffAccount(admin.server, ['support'], 'support-b');
    const viewer = await staffAccount(admin.server, ['viewer'], 'viewer');
    const requesterToken = await staffToken(admin.server, requester.accountId);

    // Within the limit: applied at once.
    expect((await adjust(member.accountId, { points: 1000, reason: 'Within the limit' }, { token: requesterToken })).status).toBe(201);
    const asked = await adjust(member.accountId, { points: 5000, reason: 'Lost flight credit, ticket 123' }, { token: requesterToken, key: 'big-1' });
    expect(asked.status).toBe(202);
    const pending = body(asked).adjustment!;
    expect(pending).toMatchObject({ status: 'pending', points: 5000, requested_by: `staff:${requester.accountId}` });
    // A retry of the request is the same pending adjustment, not a second one.
    const retried = await adjust(member.accountId, { points: 5000, reason: 'Lost flight credit, ticket 123' }, { token: requesterToken, key: 'big-1' });
    expect(body(retried).adjustment!.id).toBe(pending.id);
    expect(await balance(member.accountId)).toBe(1000);
    const list = await admin.call('GET', `/admin/members/${member.accountId}/points-adjustments`, undefined, { authorization: `Bearer ${requesterToken}` });
    expect(body(list).items!.map((item) => item.id)).toEqual([pending.id]);

    const approvePath = `/admin/members/${member.accountId}/points-adjustments/${pending.id}/approve`;
    const own = await admin.call('POST', approvePath, undefined, { authorization: `Bearer ${requesterToken}` });
    expect(own.status).toBe(403);
    expect((await admin.call('POST', approvePath, undefined, { authorization: `Bearer ${await staffToken(admin.server, viewer.accountId)}` })).status).toBe(403);
    expect(await balance(member.accountId)).toBe(1000);

    const approverToken = await staffToken(admin.server, approver.accountId);
    const approved = await admin.call('POST', approvePath, undefined, { authorization: `Bearer ${approverToken}` });
    expect(approved.status).toBe(200);
    expect(body(approved)).toMatchObject({ status: 'approved', balance_after: 6000, adjustment: { decided_by: `staff:${approver.accountId}` } });
    expect((await admin.call('POST', approvePath, undefined, { authorization: `Bearer ${approverToken}` })).status).toBe(409);
    expect(await balance(member.accountId)).toBe(6000);

    const events = (await admin.call('GET', `/admin/audit-events?account_id=${member.accountId}`)).body as unknown as { events: { type: string; details: Record<string, unknown> }[] };
    const types = events.events.map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['points.adjusted', 'points.adjustment_requested', 'points.adjustment_approved']));
    expect(events.events.find((event) => event.type === 'points.adjustment_requested')!.details).toMatchObject({ actor: `staff:${requester.accountId}`, staff_reason: 'Lost flight credit, ticket 123', points: 5000 });
    expect(events.events.find((event) => event.type === 'points.adjustment_approved')!.details).toMatchObject({ actor: `staff:${approver.accountId}`, requested_by: `staff:${requester.accountId}` });
  });

  test('a rejected adjustment changes nothing and cannot be approved after', async () => {
    const member = await staffAccount(admin.server, [], 'member');
    const requester = await staffAccount(admin.server, ['support'], 'support-a');
    const asked = await adjust(member.accountId, { points: 2000, reason: 'Too generous' }, { token: await staffToken(admin.server, requester.accountId) });
    const id = body(asked).adjustment!.id;
    const owner = await staffToken(admin.server, (await staffAccount(admin.server, ['owner'], 'owner')).accountId);
    expect((await admin.call('POST', `/admin/members/${member.accountId}/points-adjustments/${id}/reject`, undefined, { authorization: `Bearer ${owner}` })).status).toBe(200);
    expect((await admin.call('POST', `/admin/members/${member.accountId}/points-adjustments/${id}/approve`, undefined, { authorization: `Bearer ${owner}` })).status).toBe(409);
    expect(await balance(member.accountId)).toBe(0);
  });

  test('a large deduction below zero is refused before anyone is asked to approve it', async () => {
    const member = await staffAccount(admin.server, [], 'member');
    await adjust(member.accountId, { points: 100, reason: 'Opening credit' });
    const support = await staffToken(admin.server, (await staffAccount(admin.server, ['support'], 'support')).accountId);
    const refused = await adjust(member.accountId, { points: -5000, reason: 'Clawback' }, { token: support });
    expect(refused.status).toBe(409);
    expect(body(refused).error).toBe('insufficient_points');
    expect(body(await admin.call('GET', `/admin/members/${member.accountId}/points-adjustments`)).items).toEqual([]);
  });
});
