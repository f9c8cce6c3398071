// Contract: FactorsRepository (factors, recovery codes, use records: single use under concurrency, expiry).
import type { Factor } from '../../server/domain/factors/factors.repository.ts';
import { expectDomainError, uniqueId, useStorage, type OpenStorage } from './harness.ts';

const CONCURRENCY = 20;

function factor(accountId: string, overrides: Partial<Factor> = {}): Factor {
  return {
    id: uniqueId('factor'),
    accountId,
    type: 'totp',
    secret: 'v1.iv.sealed-secret.tag',
    label: 'Authenticator app',
    createdAt: new Date(1_700_000_000_123),
    confirmedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

function hashes(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`.padEnd(64, '0'));
}

function later(ms = 60_000): Date {
  return new Date(Date.now() + ms);
}

function earlier(ms = 1000): Date {
  return new Date(Date.now() - ms);
}

/** `count` calls started together; how many returned true. */
async function winners(count: number, call: () => Promise<boolean>): Promise<number> {
  const results = await Promise.all(Array.from({ length: count }, call));
  return results.filter(Boolean).length;
}

export function describeFactorsContract(open: OpenStorage): void {
  describe('factors', () => {
    const storage = useStorage(open);

    it('creates a factor and finds it with every field intact', async () => {
      const unconfirmed = factor(uniqueId('acct'));
      const used = factor(uniqueId('acct'), { confirmedAt: new Date(1_700_000_100_456), lastUsedAt: new Date(1_700_000_200_789), label: 'Phone ü 😀' });
      await storage().factors.create(unconfirmed);
      await storage().factors.create(used);
      expect(await storage().factors.find(unconfirmed.id)).toEqual(unconfirmed);
      expect(await storage().factors.find(used.id)).toEqual(used);
      expect(await storage().factors.find(uniqueId('factor'))).toBeUndefined();
    });

    it('rejects a second factor with the same id as a duplicate and keeps the first', async () => {
      const first = factor(uniqueId('acct'));
      await storage().factors.create(first);
      await expectDomainError(storage().factors.create(factor(uniqueId('acct'), { id: first.id, label: 'Other' })), 'duplicate');
      expect(await storage().factors.find(first.id)).toEqual(first);
    });

    it("lists an account's factors oldest first (ties by id), confirmed or not, and only that account's", async () => {
      const accountId = uniqueId('acct');
      const other = factor(uniqueId('acct'), { createdAt: new Date(1000) });
      const newest = factor(accountId, { createdAt: new Date(3000) });
      const tieB = factor(accountId, { id: `${uniqueId('factor')}-b`, createdAt: new Date(2000), confirmedAt: new Date(2500) });
      const tieA = factor(accountId, { id: `${tieB.id.slice(0, -2)}-a`, createdAt: new Date(2000) });
      for (const created of [newest, other, tieB, tieA]) await storage().factors.create(created);
      expect(await storage().factors.listByAccount(accountId)).toEqual([tieA, tieB, newest]);
      expect(await storage().factors.listByAccount(other.accountId)).toEqual([other]);
      expect(await storage().factors.listByAccount(uniqueId('acct'))).toEqual([]);
    });

    it('confirms once: a second confirm reports false and leaves confirmedAt alone', async () => {
      const created = factor(uniqueId('acct'));
      await storage().factors.create(created);
      const at = new Date(1_700_000_300_000);
      expect(await storage().factors.confirm(created.id, at)).toBe(true);
      expect(await storage().factors.confirm(created.id, new Date(1_700_000_400_000))).toBe(false);
      expect(await storage().factors.find(created.id)).toEqual({ ...created, confirmedAt: at });
      expect(await storage().factors.confirm(uniqueId('factor'), at)).toBe(false);
    });

    it('ends confirmed when confirms race (at least one reports true)', async () => {
      // Not "exactly one": a double confirm is harmless, and the Mongo adapter does not promise it on FerretDB.
      const created = factor(uniqueId('acct'));
      await storage().factors.create(created);
      expect(await winners(CONCURRENCY, () => storage().factors.confirm(created.id, new Date()))).toBeGreaterThanOrEqual(1);
      expect((await storage().factors.find(created.id))?.confirmedAt).toBeInstanceOf(Date);
    });

    it('records the last use with touch (and ignores an unknown id)', async () => {
      const created = factor(uniqueId('acct'), { confirmedAt: new Date(1_700_000_000_500) });
      await storage().factors.create(created);
      await storage().factors.touch(created.id, new Date(1_700_000_500_000));
      await storage().factors.touch(created.id, new Date(1_700_000_600_000));
      expect(await storage().factors.find(created.id)).toEqual({ ...created, lastUsedAt: new Date(1_700_000_600_000) });
      await expect(storage().factors.touch(uniqueId('factor'), new Date())).resolves.toBeUndefined();
    });

    it('deletes a factor and reports whether it existed', async () => {
      const created = factor(uniqueId('acct'));
      await storage().factors.create(created);
      expect(await storage().factors.delete(created.id)).toBe(true);
      expect(await storage().factors.delete(created.id)).toBe(false);
      expect(await storage().factors.find(created.id)).toBeUndefined();
      expect(await storage().factors.listByAccount(created.accountId)).toEqual([]);
    });

    it("deletes only the account's unconfirmed factors and counts them", async () => {
      const accountId = uniqueId('acct');
      const confirmed = factor(accountId, { confirmedAt: new Date(1_700_000_000_999) });
      const pending = [factor(accountId), factor(accountId, { createdAt: new Date(1_700_000_001_000) })];
      const elsewhere = factor(uniqueId('acct'));
      for (const created of [confirmed, ...pending, elsewhere]) await storage().factors.create(created);
      expect(await storage().factors.deleteUnconfirmed(accountId)).toBe(2);
      expect(await storage().factors.deleteUnconfirmed(accountId)).toBe(0);
      expect(await storage().factors.listByAccount(accountId)).toEqual([confirmed]);
      expect(await storage().factors.find(elsewhere.id)).toEqual(elsewhere);
    });

    it('replaces, lists and uses recovery codes once, for their own account only', async () => {
      const accountId = uniqueId('acct');
      const codes = hashes(10, 'a');
      expect(await storage().factors.listRecoveryCodes(accountId)).toEqual([]);
      await storage().factors.replaceRecoveryCodes(accountId, codes);
      const listed = await storage().factors.listRecoveryCodes(accountId);
      expect(listed.sort((x, y) => x.codeHash.localeCompare(y.codeHash))).toEqual(codes.map((codeHash) => ({ accountId, codeHash, usedAt: null })));

      const [first = '', second = ''] = codes;
      const at = new Date(1_700_000_700_000);
      expect(await storage().factors.useRecoveryCode(uniqueId('acct'), first, at)).toBe(false);
      expect(await storage().factors.useRecoveryCode(accountId, 'f'.repeat(64), at)).toBe(false);
      expect(await storage().factors.useRecoveryCode(accountId, first, at)).toBe(true);
      expect(await storage().factors.useRecoveryCode(accountId, first, new Date())).toBe(false);
      expect(await storage().factors.useRecoveryCode(accountId, second, new Date())).toBe(true);

      const after = await storage().factors.listRecoveryCodes(accountId);
      expect(after).toHaveLength(10);
      expect(after.find((code) => code.codeHash === first)).toEqual({ accountId, codeHash: first, usedAt: at });
      expect(after.filter((code) => code.usedAt === null)).toHaveLength(8);
    });

    it('makes the previous recovery codes unusable on replace (used or not), and collapses repeated hashes', async () => {
      const accountId = uniqueId('acct');
      const old = hashes(3, 'b');
      await storage().factors.replaceRecoveryCodes(accountId, old);
      expect(await storage().factors.useRecoveryCode(accountId, old[0] ?? '', new Date())).toBe(true);

      const fresh = hashes(2, 'c');
      await storage().factors.replaceRecoveryCodes(accountId, [...fresh, ...fresh]);
      for (const codeHash of old) expect(await storage().factors.useRecoveryCode(accountId, codeHash, new Date())).toBe(false);
      const listed = await storage().factors.listRecoveryCodes(accountId);
      expect(listed.map((code) => code.codeHash).sort()).toEqual(fresh);
      expect(listed.every((code) => code.usedAt === null)).toBe(true);

      // A code issued again after a replace is usable again: a use never outlives its set.
      await storage().factors.replaceRecoveryCodes(accountId, [old[0] ?? '']);
      expect(await storage().factors.useRecoveryCode(accountId, old[0] ?? '', new Date())).toBe(true);

      await storage().factors.replaceRecoveryCodes(accountId, []);
      expect(await storage().factors.listRecoveryCodes(accountId)).toEqual([]);
    });

    it('lets exactly one of 20 concurrent uses of one recovery code succeed (several rounds)', async () => {
      for (let round = 0; round < 3; round += 1) {
        const accountId = uniqueId('acct');
        const [codeHash = ''] = hashes(1, 'd');
        await storage().factors.replaceRecoveryCodes(accountId, [codeHash]);
        expect(await winners(CONCURRENCY, () => storage().factors.useRecoveryCode(accountId, codeHash, new Date()))).toBe(1);
        expect((await storage().factors.listRecoveryCodes(accountId))[0]?.usedAt).toBeInstanceOf(Date);
      }
    });

    it('claims a use once per (factor, value) until it expires', async () => {
      const factorId = uniqueId('factor');
      expect(await storage().factors.claimUse(factorId, '56666667', later())).toBe(true);
      expect(await storage().factors.claimUse(factorId, '56666667', later())).toBe(false);
      expect(await storage().factors.claimUse(factorId, '56666668', later())).toBe(true);
      expect(await storage().factors.claimUse(uniqueId('factor'), '56666667', later())).toBe(true);

      // An expired record does not block; the new claim then blocks in its turn.
      expect(await storage().factors.claimUse(factorId, '56666669', earlier())).toBe(true);
      expect(await storage().factors.claimUse(factorId, '56666669', later())).toBe(true);
      expect(await storage().factors.claimUse(factorId, '56666669', later())).toBe(false);
    });

    it('lets exactly one of 20 concurrent claims of one pair succeed, fresh or after expiry (several rounds)', async () => {
      for (let round = 0; round < 3; round += 1) {
        const factorId = uniqueId('factor');
        expect(await winners(CONCURRENCY, () => storage().factors.claimUse(factorId, 'step', later()))).toBe(1);
        expect(await storage().factors.claimUse(factorId, 'expired', earlier())).toBe(true);
        expect(await winners(CONCURRENCY, () => storage().factors.claimUse(factorId, 'expired', later()))).toBe(1);
      }
    });

    it('sweeps use records expired at or before now, counts them, and frees their pairs', async () => {
      // Expiries long past, so records of the other tests (around the real clock) are out of range.
      const factorId = uniqueId('factor');
      for (const [value, ms] of [['a', 1000], ['b', 2500], ['c', 3000]] as const) {
        expect(await storage().factors.claimUse(factorId, value, new Date(ms))).toBe(true);
      }
      expect(await storage().factors.sweepExpiredUses(new Date(2500))).toBe(2);
      expect(await storage().factors.sweepExpiredUses(new Date(2500))).toBe(0);
      for (const value of ['a', 'b', 'c']) expect(await storage().factors.claimUse(factorId, value, later())).toBe(true);
      expect(await storage().factors.sweepExpiredUses(new Date(3000))).toBe(0);
    });

    it('keeps pairs apart even when their parts contain separators', async () => {
      expect(await storage().factors.claimUse('sep:1', 'x', later())).toBe(true);
      expect(await storage().factors.claimUse('sep', '1:x', later())).toBe(true);
      await storage().factors.replaceRecoveryCodes('sep:2', ['y']);
      expect(await storage().factors.useRecoveryCode('sep', '2:y', new Date())).toBe(false);
      expect(await storage().factors.useRecoveryCode('sep:2', 'y', new Date())).toBe(true);
    });

    it('treats empty strings as ordinary ids, labels and values', async () => {
      const empty = factor('', { id: '', secret: '', label: '' });
      await storage().factors.create(empty);
      expect(await storage().factors.find('')).toEqual(empty);
      expect(await storage().factors.listByAccount('')).toEqual([empty]);
      await expectDomainError(storage().factors.create(factor('', { id: '' })), 'duplicate');
      expect(await storage().factors.confirm('', new Date(1_700_000_800_000))).toBe(true);
      expect(await storage().factors.deleteUnconfirmed('')).toBe(0);
      expect(await storage().factors.delete('')).toBe(true);

      expect(await storage().factors.useRecoveryCode('', '', new Date())).toBe(false);
      await storage().factors.replaceRecoveryCodes('', ['']);
      expect(await storage().factors.listRecoveryCodes('')).toEqual([{ accountId: '', codeHash: '', usedAt: null }]);
      expect(await storage().factors.useRecoveryCode('', '', new Date())).toBe(true);
      expect(await storage().factors.useRecoveryCode('', '', new Date())).toBe(false);

      expect(await storage().factors.claimUse('', '', later())).toBe(true);
      expect(await storage().factors.claimUse('', '', later())).toBe(false);
    });

    it('keeps a 100-character label intact', async () => {
      const created = factor(uniqueId('acct'), { label: `${'Ä'.repeat(50)}${'x'.repeat(50)}` });
      expect(created.label).toHaveLength(100);
      await storage().factors.create(created);
      expect((await storage().factors.find(created.id))?.label).toBe(created.label);
    });
  });
}
