// Merging duplicate members (issue 21 item 1) through the service: what moves to the survivor, the ledgers reconciled
// by one adjust on each side (balance = sum of entries for both, lifetime summed), the tombstone, the refusals, and
// earns and redemptions racing a merge (every accepted point ends on the survivor, none lost or doubled), on both stores.
import { randomUUID } from 'node:crypto';
import type { Container } from '../../server/container-types.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { STORES, startTestServer, type TestServer } from '../support/test-server.ts';

const STAFF = { kind: 'staff', staffId: 'test-staff' } as const;
const PROOF = { method: 'identity_document', reference: 'ticket 42: passport checked' } as const;

async function member(container: Container, options: { verified?: boolean; points?: number; phone?: string; password?: boolean } = {}): Promise<string> {
  const account = await container.storage.accounts.create({ email: `merge.${randomUUID()}@example.com`, emailVerified: options.verified ?? true, passwordHash: options.password === false ? null : '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' });
  await container.loyalty.ensureMember(account.id);
  if (options.phone) await container.storage.accounts.setPhone(account.id, options.phone);
  if (options.points) {
    const posted = await container.storage.loyalty.post({ accountId: account.id, kind: 'earn', points: options.points, partnerId: null, reason: 'test', idempotencyKey: `test:${randomUUID()}`, requestHash: 'h' });
    expect(posted.ok).toBe(true);
  }
  return account.id;
}

describe.each(STORES)('member merge (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  let container: Container;

  beforeAll(async () => {
    server = await startTestServer({ store });
    container = server.container;
  });
  afterAll(async () => server?.close());

  test('the survivor takes the points, the lifetime, the phone and the factors; the absorbed member becomes a tombstone', async () => {
    const survivor = await member(container, { points: 300 });
    const phone = `+4474${String(10_000_000 + Math.floor(Math.random() * 89_999_999))}`;
    const absorbed = await member(container, { points: 1200, phone });
    const spent = await container.storage.loyalty.post({ accountId: absorbed, kind: 'redeem', points: -200, partnerId: null, reason: 'test', idempotencyKey: `test:${randomUUID()}`, requestHash: 'h' });
    expect(spent.ok).toBe(true);
    await container.storage.passkeys.create({ id: `pk-${randomUUID()}`, accountId: absorbed, publicKey: 'AAAA', counter: 0, transports: [], deviceType: 'multiDevice', backedUp: true, name: 'Phone', createdAt: new Date(), lastUsedAt: null });

    const preview = await container.merges.preview(survivor, absorbed);
    expect(preview.status).toBe('ok');
    if (preview.status !== 'ok') return;
    expect(preview.preview.after.balance).toBe(1300);
    expect(preview.preview.identifiers.phone).toBe(true);

    const result = await container.merges.merge({ survivorId: survivor, absorbedId: absorbed, proof: PROOF, initiatedBy: STAFF, reason: 'same person, two cards' });
    expect(result.status).toBe('merged');
    const after = await container.storage.loyalty.findMember(survivor);
    expect(after?.balance).toBe(1300);
    expect(after?.lifetimePoints).toBe(1500);
    expect(await container.storage.loyalty.sumEntries(survivor)).toBe(1300);
    expect(await container.storage.loyalty.sumEntries(absorbed)).toBe(0);
    expect((await container.storage.loyalty.findMember(absorbed))?.balance).toBe(0);
    expect((await container.storage.accounts.findById(survivor))?.phone).toBe(phone);
    expect(await container.storage.accounts.findById(absorbed)).toBeUndefined();
    expect(await container.storage.passkeys.countByAccount(survivor)).toBe(1);
    expect((await container.merges.absorbedBy(absorbed))?.survivorId).toBe(survivor);
  });

  test('refuses a member with itself, an unknown member, an absorbed member, and staff without proof or reason', async () => {
    const a = await member(container);
    const b = await member(container);
    expect(await container.merges.merge({ survivorId: a, absorbedId: a, proof: PROOF, initiatedBy: STAFF, reason: 'r' })).toEqual({ status: 'refused', reason: 'same_member' });
    expect(await container.merges.merge({ survivorId: a, absorbedId: randomUUID(), proof: PROOF, initiatedBy: STAFF, reason: 'r' })).toEqual({ status: 'refused', reason: 'unknown_member' });
    expect(await container.merges.merge({ survivorId: a, absorbedId: b, proof: { method: 'identity_document' }, initiatedBy: STAFF, reason: 'r' })).toEqual({ status: 'refused', reason: 'proof_required' });
    expect(await container.merges.merge({ survivorId: a, absorbedId: b, proof: PROOF, initiatedBy: STAFF })).toEqual({ status: 'refused', reason: 'reason_required' });
    expect((await container.merges.merge({ survivorId: a, absorbedId: b, proof: PROOF, initiatedBy: STAFF, reason: 'r' })).status).toBe('merged');
    const c = await member(container);
    expect(await container.merges.merge({ survivorId: c, absorbedId: b, proof: PROOF, initiatedBy: STAFF, reason: 'r' })).toEqual({ status: 'refused', reason: 'already_merged' });
    expect(await container.merges.merge({ survivorId: b, absorbedId: c, proof: PROOF, initiatedBy: STAFF, reason: 'r' })).toEqual({ status: 'refused', reason: 'already_merged' });
  });

  test('earns and redemptions racing a merge: every accepted point ends up on the survivor, none lost or doubled', async () => {
    const survivor = await member(container, { points: 500 });
    const absorbed = await member(container, { points: 500 });
    const post = (accountId: string, points: number) => container.storage.loyalty.post({
      accountId, kind: points > 0 ? 'earn' : 'redeem', points, partnerId: null, reason: 'race', idempotencyKey: `race:${randomUUID()}`, requestHash: 'h',
    });
    const racing = [40, -30, 25, -60, 10, 35, -15, 20].flatMap((points) => [post(absorbed, points), post(survivor, points)]);
    const [merged, ...posts] = await Promise.all([
      container.merges.merge({ survivorId: survivor, absorbedId: absorbed, proof: PROOF, initiatedBy: STAFF, reason: 'race' }),
      ...racing,
    ]);
    expect(merged.status).toBe('merged');
    // Accepted posts count; a post the frozen tombstone refused (no_member) changed nothing.
    const accepted = posts.reduce((sum, result) => sum + (result.ok ? result.entry.points : 0), 0);
    const refused = posts.filter((result) => !result.ok).map((result) => (result.ok ? '' : result.reason));
    expect(refused.every((reason) => reason === 'no_member' || reason === 'insufficient_points')).toBe(true);
    const [after, tombstone] = [(await container.storage.loyalty.findMember(survivor))!, (await container.storage.loyalty.findMember(absorbed))!];
    expect(tombstone.balance).toBe(0);
    expect(after.balance).toBe(1000 + accepted);
    expect(await container.storage.loyalty.sumEntries(survivor)).toBe(after.balance);
    expect(await container.storage.loyalty.sumEntries(absorbed)).toBe(0);
    // A post after the merge to the tombstone is refused; the survivor takes it.
    expect(await post(absorbed, 5)).toEqual({ ok: false, reason: 'no_member' });
  });
});
