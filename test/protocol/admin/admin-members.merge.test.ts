// The admin API's member merge (issue 21 item 1): the preview and the merge move everything listed to the survivor
// (identifiers, factors, passkeys, linked accounts, devices, stricter consents, profile gaps, points), keep the
// ledger invariant on both members across chained merges, answer a retry with the first merge, follow the
// permissions matrix, and refuse every bad input with a clear 4xx and nothing changed. Both stores.
import { randomUUID } from 'node:crypto';
import type { Container } from '../../../server/container-types.ts';
import { allowFerretDbTime } from '../../support/ferretdb-timeout.ts';
import { staffAccount, staffToken } from '../../support/staff.ts';
import { STORES, startTestServer, type TestServer } from '../../support/test-server.ts';
import { adminCaller, type AdminCall } from './admin-api.ts';

const PROOF = { method: 'identity_document', reference: 'ticket 42: passport checked at the desk' };

async function member(container: Container, options: { verified?: boolean; points?: number; password?: boolean } = {}): Promise<string> {
  const account = await container.storage.accounts.create({
    email: `merge.${randomUUID()}@example.com`, emailVerified: options.verified ?? true, passwordHash: options.password === false ? null : '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
  });
  await container.loyalty.ensureMember(account.id);
  if (options.points) {
    const posted = await container.storage.loyalty.post({ accountId: account.id, kind: 'earn', points: options.points, partnerId: null, reason: 'test', idempotencyKey: `test:${randomUUID()}`, requestHash: 'h' });
    expect(posted.ok).toBe(true);
  }
  return account.id;
}

async function consent(container: Container, accountId: string, purpose: string, granted: boolean): Promise<void> {
  const receiptId = randomUUID();
  const at = new Date();
  await container.storage.purposeConsents.record({
    records: [{ id: randomUUID(), accountId, purpose, version: 1, granted, at, channel: 'web', clientId: null, method: 'account_page', receiptId }],
    receipt: { id: receiptId, accountId, issuedAt: at, jws: 'x.y.z', decisions: [{ purpose, version: 1, granted }], method: 'account_page' },
    events: [],
  });
}

describe.each(STORES)('admin member merge (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  let container: Container;
  let admin: AdminCall;
  const merge = (survivor: string, body: unknown, key: string | null = randomUUID(), call = admin) =>
    call('POST', `/admin/members/${survivor}/merge`, body, key === null ? {} : { 'idempotency-key': key });

  beforeAll(async () => {
    server = await startTestServer({ store });
    container = server.container;
    const token = await server.adminToken();
    admin = adminCaller(() => server, () => token);
  });
  afterAll(async () => server?.close());

  test('the preview says what will move, and the merge moves it all to the survivor', async () => {
    // The survivor signed up at a kiosk (email unverified, no password); the absorbed member on the web.
    const survivor = await member(container, { verified: false, password: false, points: 100 });
    const absorbed = await member(container, { points: 5000 });
    const absorbedAccount = (await container.storage.accounts.findById(absorbed))!;
    const { storage } = container;
    await storage.factors.create({ id: `f-${randomUUID()}`, accountId: absorbed, type: 'totp', secret: 'sealed', label: 'App', createdAt: new Date(), confirmedAt: new Date(), lastUsedAt: null });
    await storage.passkeys.create({ id: `pk-${randomUUID()}`, accountId: absorbed, publicKey: 'AAAA', counter: 0, transports: ['internal'], deviceType: 'multiDevice', backedUp: true, name: 'Phone', createdAt: new Date(), lastUsedAt: null });
    await storage.federatedIdentities.link({ connectionId: 'google', subject: `g-${randomUUID()}`, accountId: absorbed });
    await storage.devices.record(absorbed, `device-${randomUUID()}`, { at: new Date(), ip: '192.0.2.1', country: 'FR', userAgent: 'test' });
    await storage.profiles.update(survivor, { values: { given_name: 'Ana' } }, new Date());
    await storage.profiles.update(absorbed, { values: { given_name: 'Anna', postal_code: '75001' } }, new Date());
    await consent(container, survivor, 'marketing_email', true);
    await consent(container, absorbed, 'marketing_email', false);
    await consent(container, absorbed, 'profiling', true);

    const preview = await admin('GET', `/admin/members/${survivor}/merge-preview?absorbed=${absorbed}`);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      after: { points_balance: 5100, lifetime_points: 5100, tier: 'gold', email: absorbedAccount.email },
      moves: { email: true, phone: false, password: true },
      profile_filled: ['postal_code'],
      consent_changes: [{ purpose: 'marketing_email', granted: false }, { purpose: 'profiling', granted: true }],
      conflicts: ['profile:given_name'],
    });

    const merged = await merge(survivor, { absorbed, reason: 'same person at the kiosk and on the web', proof: PROOF });
    expect(merged.status).toBe(201);
    expect(merged.body).toMatchObject({ survivor, absorbed, status: 'done', points_moved: 5000, proof: PROOF, reason: 'same person at the kiosk and on the web' });

    const account = (await storage.accounts.findById(survivor))!;
    expect([account.email, account.emailVerified, account.passwordHash]).toEqual([absorbedAccount.email, true, absorbedAccount.passwordHash]);
    expect(await storage.accounts.findByEmail(absorbedAccount.email!)).toMatchObject({ id: survivor });
    expect(await storage.accounts.findById(absorbed)).toBeUndefined();
    expect((await storage.factors.listByAccount(survivor)).length).toBe(1);
    expect(await storage.passkeys.countByAccount(survivor)).toBe(1);
    expect((await storage.federatedIdentities.listByAccount(survivor)).length).toBe(1);
    expect((await storage.devices.listByAccount(survivor, 10)).length).toBe(1);
    expect((await storage.devices.listByAccount(absorbed, 10)).length).toBe(0);
    const profile = await storage.profiles.find(survivor);
    expect([profile.fields.given_name?.value, profile.fields.postal_code?.value]).toEqual(['Ana', '75001']);
    const answers = new Map((await storage.purposeConsents.listRecords(survivor)).map((record) => [record.purpose, record.granted]));
    expect(Object.fromEntries(answers)).toEqual({ marketing_email: false, profiling: true });
    const after = (await storage.loyalty.findMember(survivor))!;
    expect([after.balance, after.lifetimePoints]).toEqual([5100, 5100]);
    for (const id of [survivor, absorbed]) expect(await storage.loyalty.sumEntries(id)).toBe((await storage.loyalty.findMember(id))!.balance);
    const [inEntry] = await storage.loyalty.listEntries(survivor, { limit: 1 });
    const [outEntry] = await storage.loyalty.listEntries(absorbed, { limit: 1 });
    expect([inEntry!.kind, inEntry!.points, outEntry!.kind, outEntry!.points]).toEqual(['adjust', 5000, 'adjust', -5000]);
    expect(inEntry!.idempotencyKey.replace(':in', '')).toBe(outEntry!.idempotencyKey.replace(':out', ''));
    // The tombstone's ledger takes no new post: its points live on the survivor.
    const late = await storage.loyalty.post({ accountId: absorbed, kind: 'earn', points: 10, partnerId: null, reason: 'late', idempotencyKey: `test:${randomUUID()}`, requestHash: 'h' });
    expect(late).toEqual({ ok: false, reason: 'no_member' });
    const audit = await container.audit.list({ accountId: survivor, types: ['member.merged'], limit: 5 });
    expect(audit.events[0]).toMatchObject({ type: 'member.merged', details: { absorbed, proof: 'identity_document' } });
  });

  test('an absorbed member without points still brings its lifetime: the survivor\'s lifetime and tier are the sum', async () => {
    const survivor = await member(container, { points: 800 });
    const absorbed = await member(container, { points: 600 });
    const spent = await container.storage.loyalty.post({ accountId: absorbed, kind: 'redeem', points: -600, partnerId: null, reason: 'test', idempotencyKey: `test:${randomUUID()}`, requestHash: 'h' });
    expect(spent.ok).toBe(true);
    expect((await container.loyalty.claims(survivor)).tier).toBe('member');

    const preview = await admin('GET', `/admin/members/${survivor}/merge-preview?absorbed=${absorbed}`);
    expect(preview.body).toMatchObject({ after: { points_balance: 800, lifetime_points: 1400, tier: 'silver' } });
    const merged = await merge(survivor, { absorbed, reason: 'duplicate', proof: PROOF });
    expect(merged).toMatchObject({ status: 201, body: { points_moved: 0, lifetime_carried: 600 } });

    // 1,400 lifetime points (800 + 600): silver; the balance stays 800 (nothing spendable was created).
    expect(await container.storage.loyalty.findMember(survivor)).toMatchObject({ balance: 800, lifetimePoints: 1400 });
    expect(await container.loyalty.claims(survivor)).toMatchObject({ tier: 'silver', points_balance: 800 });
    for (const id of [survivor, absorbed]) expect(await container.storage.loyalty.sumEntries(id)).toBe((await container.storage.loyalty.findMember(id))!.balance);
  });

  test('chained merges keep balance = sum of entries for every member, and a retry answers the first merge', async () => {
    const a = await member(container, { points: 10 });
    const b = await member(container, { points: 20 });
    const c = await member(container, { points: 30 });
    const key = randomUUID();
    const first = await merge(b, { absorbed: a, reason: 'duplicate', proof: PROOF }, key);
    expect(first.status).toBe(201);
    const replay = await merge(b, { absorbed: a, reason: 'duplicate', proof: PROOF }, key);
    expect([replay.status, replay.headers.get('idempotent-replayed'), (replay.body as { id?: string }).id]).toEqual([200, 'true', (first.body as { id?: string }).id]);
    expect((await merge(b, { absorbed: c, reason: 'duplicate', proof: PROOF }, key))).toMatchObject({ status: 409, body: { error: 'idempotency_conflict' } });
    expect((await merge(c, { absorbed: b, reason: 'duplicate', proof: PROOF })).status).toBe(201);
    for (const id of [a, b, c]) expect(await container.storage.loyalty.sumEntries(id)).toBe((await container.storage.loyalty.findMember(id))!.balance);
    expect((await container.storage.loyalty.findMember(c))!.balance).toBe(60);
    expect((await container.storage.loyalty.findMember(c))!.lifetimePoints).toBe(60);
  });

  test('every bad input is refused with a clear 4xx and nothing changes', async () => {
    const a = await member(container, { points: 7 });
    const b = await member(container, { points: 8 });
    const body = { absorbed: b, reason: 'duplicate', proof: PROOF };
    expect(await merge(a, { ...body, absorbed: a })).toMatchObject({ status: 400, body: { details: { reason: 'same_member' } } });
    expect((await merge(a, { ...body, absorbed: randomUUID() })).status).toBe(404);
    expect((await merge(randomUUID(), body)).status).toBe(404);
    expect(await merge(a, { absorbed: b, reason: 'duplicate' })).toMatchObject({ status: 400, body: { details: { fields: { proof: expect.any(String) } } } });
    expect(await merge(a, { absorbed: b, proof: PROOF })).toMatchObject({ status: 400, body: { details: { fields: { reason: expect.any(String) } } } });
    expect(await merge(a, { ...body, proof: { method: 'identity_document' } })).toMatchObject({ status: 400 });
    expect(await merge(a, { ...body, proof: { method: 'telepathy', reference: 'none' } })).toMatchObject({ status: 400 });
    expect(await merge(a, body, null)).toMatchObject({ status: 400, body: { details: { fields: { 'Idempotency-Key': 'required' } } } });
    expect((await admin('GET', `/admin/members/${a}/merge-preview?absorbed=${a}`)).status).toBe(400);
    // Nothing moved by any of those.
    expect([(await container.storage.loyalty.findMember(a))!.balance, (await container.storage.loyalty.findMember(b))!.balance]).toEqual([7, 8]);
    expect(await container.storage.accounts.findById(b)).toBeDefined();

    expect((await merge(a, body)).status).toBe(201);
    const c = await member(container);
    // Either side a tombstone: refused.
    expect(await merge(c, { ...body, absorbed: b })).toMatchObject({ status: 409, body: { details: { reason: 'already_merged' } } });
    expect(await merge(b, { ...body, absorbed: c })).toMatchObject({ status: 409, body: { details: { reason: 'already_merged' } } });
    expect((await admin('GET', `/admin/members/${c}/merge-preview?absorbed=${b}`)).status).toBe(409);
    expect((await container.storage.loyalty.findMember(c))!.balance).toBe(0);
  });

  test('support and owner may merge; security and viewers may not', async () => {
    const survivor = await member(container);
    const absorbed = await member(container);
    const body = { absorbed, reason: 'duplicate', proof: PROOF };
    for (const role of ['security', 'viewer'] as const) {
      const staff = await staffAccount(server, [role]);
      const token = await staffToken(server, staff.accountId);
      const call = adminCaller(() => server, () => token);
      expect((await merge(survivor, body, randomUUID(), call)).status).toBe(403);
    }
    const support = await staffAccount(server, ['support']);
    const token = await staffToken(server, support.accountId);
    const merged = await merge(survivor, body, randomUUID(), adminCaller(() => server, () => token));
    expect(merged).toMatchObject({ status: 201, body: { initiated_by: `staff:${support.accountId}` } });
  });

  test('erasing the survivor later keeps the merge for accounting under the tombstone, without its id or staff\'s text', async () => {
    const survivor = await member(container, { points: 3 });
    const absorbed = await member(container, { points: 4 });
    expect((await merge(survivor, { absorbed, reason: 'duplicate of a named person', proof: PROOF })).status).toBe(201);
    expect((await admin('DELETE', `/admin/members/${survivor}?grace=none`)).status).toBe(204);
    expect(await container.storage.merges.listBySurvivor(survivor)).toEqual([]);
    const kept = (await container.storage.merges.findByAbsorbed(absorbed))!;
    expect(kept.survivorId).not.toBe(survivor);
    expect([kept.reason, kept.proof]).toEqual(['', { method: 'identity_document' }]);
  });
});
