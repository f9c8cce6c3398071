// Contract: PasskeysRepository (credentials unique across accounts, owner-only changes, a counter that only moves forward).
import type { Passkey } from '../../server/domain/passkeys/passkeys.repository.ts';
import { expectDomainError, uniqueId, useStorage, type OpenStorage } from './harness.ts';

const CONCURRENCY = 20;

/** A base64url credential id; the uuid's '-' and the '_' are both in the base64url alphabet. */
function credentialId(): string {
  return `${uniqueId('cred')}_Ab-9`;
}

function passkey(accountId: string, overrides: Partial<Passkey> = {}): Passkey {
  return {
    id: credentialId(),
    accountId,
    publicKey: 'pQECAyYgASFYIBq_Zk-8dGf2u6lWfQoJvS0tQkYRc4bB1P6x3CnR5WJyIlggS1Ag',
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backedUp: true,
    name: 'Phone',
    createdAt: new Date(1_700_000_000_123),
    lastUsedAt: null,
    ...overrides,
  };
}

export function describePasskeysContract(open: OpenStorage): void {
  describe('passkeys', () => {
    const storage = useStorage(open);

    it('creates passkeys and finds them with every field intact', async () => {
      const synced = passkey(uniqueId('acct'));
      const key = passkey(uniqueId('acct'), {
        counter: 41,
        transports: ['usb', 'nfc', 'ble'],
        deviceType: 'singleDevice',
        backedUp: false,
        name: 'Security key ü 😀',
        lastUsedAt: new Date(1_700_000_200_789),
      });
      const bare = passkey(uniqueId('acct'), { transports: [] });
      for (const created of [synced, key, bare]) await storage().passkeys.create(created);
      expect(await storage().passkeys.find(synced.id)).toEqual(synced);
      expect(await storage().passkeys.find(key.id)).toEqual(key);
      expect(await storage().passkeys.find(bare.id)).toEqual(bare);
      expect(await storage().passkeys.find(credentialId())).toBeUndefined();
    });

    it('rejects a second credential with the same id, for the same or another account, and keeps the first', async () => {
      const first = passkey(uniqueId('acct'));
      await storage().passkeys.create(first);
      await expectDomainError(storage().passkeys.create(passkey(first.accountId, { id: first.id, name: 'Again' })), 'duplicate');
      const elsewhere = uniqueId('acct');
      await expectDomainError(storage().passkeys.create(passkey(elsewhere, { id: first.id, name: 'Stolen' })), 'duplicate');
      expect(await storage().passkeys.find(first.id)).toEqual(first);
      expect(await storage().passkeys.countByAccount(elsewhere)).toBe(0);
    });

    it("lists and counts an account's passkeys oldest first (ties by id), and only that account's", async () => {
      const accountId = uniqueId('acct');
      const other = passkey(uniqueId('acct'), { createdAt: new Date(1000) });
      const newest = passkey(accountId, { createdAt: new Date(3000) });
      const tieB = passkey(accountId, { id: `${credentialId()}-b`, createdAt: new Date(2000) });
      const tieA = passkey(accountId, { id: `${tieB.id.slice(0, -2)}-a`, createdAt: new Date(2000) });
      for (const created of [newest, other, tieB, tieA]) await storage().passkeys.create(created);
      expect(await storage().passkeys.listByAccount(accountId)).toEqual([tieA, tieB, newest]);
      expect(await storage().passkeys.countByAccount(accountId)).toBe(3);
      expect(await storage().passkeys.listByAccount(other.accountId)).toEqual([other]);
      expect(await storage().passkeys.countByAccount(other.accountId)).toBe(1);
      expect(await storage().passkeys.listByAccount(uniqueId('acct'))).toEqual([]);
      expect(await storage().passkeys.countByAccount(uniqueId('acct'))).toBe(0);
    });

    it('records uses of an authenticator without a counter (0 after 0), setting lastUsedAt', async () => {
      const created = passkey(uniqueId('acct'));
      await storage().passkeys.create(created);
      expect(await storage().passkeys.recordUse(created.id, 0, new Date(1_700_000_300_000))).toBe(true);
      expect(await storage().passkeys.find(created.id)).toEqual({ ...created, lastUsedAt: new Date(1_700_000_300_000) });
      expect(await storage().passkeys.recordUse(created.id, 0, new Date(1_700_000_400_000))).toBe(true);
      expect(await storage().passkeys.find(created.id)).toEqual({ ...created, lastUsedAt: new Date(1_700_000_400_000) });
    });

    it('accepts only increasing counters, and changes nothing on a refusal', async () => {
      const created = passkey(uniqueId('acct'), { counter: 5, deviceType: 'singleDevice', backedUp: false });
      await storage().passkeys.create(created);
      const used = { ...created, counter: 6, lastUsedAt: new Date(1_700_000_500_000) };
      expect(await storage().passkeys.recordUse(created.id, 6, new Date(1_700_000_500_000))).toBe(true);
      expect(await storage().passkeys.find(created.id)).toEqual(used);

      expect(await storage().passkeys.recordUse(created.id, 6, new Date(1_700_000_600_000))).toBe(false); // equal
      expect(await storage().passkeys.recordUse(created.id, 3, new Date(1_700_000_600_000))).toBe(false); // lower
      expect(await storage().passkeys.recordUse(created.id, 0, new Date(1_700_000_600_000))).toBe(false); // counter lost
      expect(await storage().passkeys.find(created.id)).toEqual(used);

      // A jump is fine: the authenticator may have been used elsewhere meanwhile.
      expect(await storage().passkeys.recordUse(created.id, 1000, new Date(1_700_000_700_000))).toBe(true);
      expect(await storage().passkeys.recordUse(created.id, 999, new Date(1_700_000_800_000))).toBe(false);
      expect(await storage().passkeys.find(created.id)).toEqual({ ...created, counter: 1000, lastUsedAt: new Date(1_700_000_700_000) });
    });

    it('starts counting when an authenticator reports its first non-zero counter', async () => {
      const created = passkey(uniqueId('acct'));
      await storage().passkeys.create(created);
      expect(await storage().passkeys.recordUse(created.id, 1, new Date(1_700_000_900_000))).toBe(true);
      expect(await storage().passkeys.recordUse(created.id, 1, new Date())).toBe(false);
      expect(await storage().passkeys.recordUse(created.id, 0, new Date())).toBe(false);
      expect(await storage().passkeys.find(created.id)).toEqual({ ...created, counter: 1, lastUsedAt: new Date(1_700_000_900_000) });
    });

    it('reports false for an unknown passkey', async () => {
      expect(await storage().passkeys.recordUse(credentialId(), 0, new Date())).toBe(false);
      expect(await storage().passkeys.recordUse(credentialId(), 7, new Date())).toBe(false);
    });

    it('lets exactly one of 20 concurrent uses with the same new counter succeed (several rounds)', async () => {
      const created = passkey(uniqueId('acct'), { counter: 10 });
      await storage().passkeys.create(created);
      for (const counter of [11, 12, 50]) {
        const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => storage().passkeys.recordUse(created.id, counter, new Date())));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await storage().passkeys.find(created.id))?.counter).toBe(counter);
      }
    });

    it('never takes a used counter again when renames race the use (several rounds)', async () => {
      // On FerretDB a rename writes back the whole document it read, counter included (see the Mongo adapter).
      for (let round = 0; round < 5; round += 1) {
        const created = passkey(uniqueId('acct'));
        await storage().passkeys.create(created);
        const renames = Array.from({ length: 5 }, (_, i) => storage().passkeys.rename(created.id, created.accountId, `Name ${i}`));
        const [used] = await Promise.all([storage().passkeys.recordUse(created.id, 5, new Date()), ...renames]);
        expect(used).toBe(true);
        expect(await storage().passkeys.recordUse(created.id, 5, new Date())).toBe(false);
        expect(await storage().passkeys.recordUse(created.id, 3, new Date())).toBe(false);
        expect(await storage().passkeys.recordUse(created.id, 0, new Date())).toBe(false);
        expect(await storage().passkeys.recordUse(created.id, 6, new Date())).toBe(true);
      }
    });

    it('lets concurrent uses of an authenticator without a counter all succeed', async () => {
      const created = passkey(uniqueId('acct'));
      await storage().passkeys.create(created);
      const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => storage().passkeys.recordUse(created.id, 0, new Date())));
      expect(results.every(Boolean)).toBe(true);
      expect((await storage().passkeys.find(created.id))?.counter).toBe(0);
    });

    it('renames only for the owning account', async () => {
      const created = passkey(uniqueId('acct'));
      await storage().passkeys.create(created);
      expect(await storage().passkeys.rename(created.id, uniqueId('acct'), 'Hijacked')).toBe(false);
      expect(await storage().passkeys.rename(credentialId(), created.accountId, 'Nothing')).toBe(false);
      expect(await storage().passkeys.find(created.id)).toEqual(created);
      expect(await storage().passkeys.rename(created.id, created.accountId, 'Work laptop')).toBe(true);
      expect(await storage().passkeys.find(created.id)).toEqual({ ...created, name: 'Work laptop' });
    });

    it('deletes only for the owning account and reports whether it did', async () => {
      const created = passkey(uniqueId('acct'), { counter: 3 });
      const sibling = passkey(created.accountId, { createdAt: new Date(1_700_000_000_999) });
      await storage().passkeys.create(created);
      await storage().passkeys.create(sibling);
      expect(await storage().passkeys.recordUse(created.id, 4, new Date(1_700_001_000_000))).toBe(true);
      expect(await storage().passkeys.delete(created.id, uniqueId('acct'))).toBe(false);
      expect(await storage().passkeys.find(created.id)).toEqual({ ...created, counter: 4, lastUsedAt: new Date(1_700_001_000_000) });

      expect(await storage().passkeys.delete(created.id, created.accountId)).toBe(true);
      expect(await storage().passkeys.delete(created.id, created.accountId)).toBe(false);
      expect(await storage().passkeys.find(created.id)).toBeUndefined();
      expect(await storage().passkeys.recordUse(created.id, 5, new Date())).toBe(false);
      expect(await storage().passkeys.listByAccount(created.accountId)).toEqual([sibling]);
      expect(await storage().passkeys.countByAccount(created.accountId)).toBe(1);
    });

    it('keeps a 100-character name intact', async () => {
      const created = passkey(uniqueId('acct'), { name: `${'Ä'.repeat(50)}${'x'.repeat(50)}` });
      expect(created.name).toHaveLength(100);
      await storage().passkeys.create(created);
      expect((await storage().passkeys.find(created.id))?.name).toBe(created.name);
      expect(await storage().passkeys.rename(created.id, created.accountId, `${'é'.repeat(99)}!`)).toBe(true);
      expect((await storage().passkeys.find(created.id))?.name).toBe(`${'é'.repeat(99)}!`);
    });

    it("takes credential ids made only of base64url's '-' and '_'", async () => {
      const accountId = uniqueId('acct');
      const ids = ['-_-_', '__', '--', '_', '-'];
      for (const id of ids) await storage().passkeys.create(passkey(accountId, { id }));
      for (const id of ids) {
        expect((await storage().passkeys.find(id))?.id).toBe(id);
        expect(await storage().passkeys.recordUse(id, 2, new Date())).toBe(true);
        expect(await storage().passkeys.recordUse(id, 2, new Date())).toBe(false);
      }
      expect(await storage().passkeys.countByAccount(accountId)).toBe(ids.length);
      await expectDomainError(storage().passkeys.create(passkey(uniqueId('acct'), { id: '-_-_' })), 'duplicate');
      expect(await storage().passkeys.rename('__', accountId, 'Renamed')).toBe(true);
      expect(await storage().passkeys.delete('--', accountId)).toBe(true);
      expect((await storage().passkeys.find('__'))?.name).toBe('Renamed');
      expect(await storage().passkeys.find('--')).toBeUndefined();
    });
  });
}
