// Contract: KeysRepository (insert-if-absent, oldest-first listing, rotation schedule: activeFrom, retireAt).
import type { StoredKey } from '../../server/domain/keys/keys.repository.ts';
import { uniqueId, useStorage, type OpenStorage } from './harness.ts';

function key(kid: string, createdAt: Date, alg: StoredKey['alg'] = 'RS256'): StoredKey {
  return {
    kid,
    alg,
    publicJwk: { kty: 'RSA', kid, alg, use: 'sig', n: 'sXch...', e: 'AQAB' },
    encryptedPrivateJwk: `v1.iv.${kid}.tag`,
    createdAt,
    activeFrom: createdAt,
    retireAt: null,
  };
}

export function describeKeysContract(open: OpenStorage): void {
  describe('keys', () => {
    const storage = useStorage(open);

    it('starts empty', async () => {
      expect(await storage().keys.list()).toEqual([]);
    });

    it('inserts a key once: the second insert of the same kid is refused and changes nothing', async () => {
      const kid = uniqueId('kid');
      const first = key(kid, new Date(1_700_000_000_000));
      expect(await storage().keys.insertIfAbsent(first)).toBe(true);
      expect(await storage().keys.insertIfAbsent({ ...key(kid, new Date(1_800_000_000_000), 'ES256'), encryptedPrivateJwk: 'other' })).toBe(false);
      const stored = (await storage().keys.list()).find((k) => k.kid === kid);
      expect(stored).toEqual(first);
    });

    it('lists keys oldest first with every field intact', async () => {
      const base = Date.now();
      const newest = key(uniqueId('kid'), new Date(base + 2000), 'EdDSA');
      const oldest = key(uniqueId('kid'), new Date(base), 'RS256');
      const middle = key(uniqueId('kid'), new Date(base + 1000), 'ES256');
      for (const k of [newest, oldest, middle]) expect(await storage().keys.insertIfAbsent(k)).toBe(true);
      const listed = (await storage().keys.list()).filter((k) => [newest.kid, oldest.kid, middle.kid].includes(k.kid));
      expect(listed).toEqual([oldest, middle, newest]);
      const all = await storage().keys.list();
      const times = all.map((k) => k.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('lets exactly one of concurrent inserts of the same kid win', async () => {
      const kid = uniqueId('kid');
      const results = await Promise.all(Array.from({ length: 5 }, () => storage().keys.insertIfAbsent(key(kid, new Date()))));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('keeps a key\'s signing and retirement times', async () => {
      const created = new Date(1_750_000_000_000);
      const pending = { ...key(uniqueId('kid'), created), activeFrom: new Date(created.getTime() + 3_600_000), retireAt: new Date(created.getTime() + 9_000_000) };
      expect(await storage().keys.insertIfAbsent(pending)).toBe(true);
      expect((await storage().keys.list()).find((k) => k.kid === pending.kid)).toEqual(pending);
    });

    it('schedules a retirement once: a second schedule does not move it, and unknown kids are ignored', async () => {
      const a = key(uniqueId('kid'), new Date(1_750_000_000_000));
      const b = key(uniqueId('kid'), new Date(1_750_000_001_000));
      for (const k of [a, b]) await storage().keys.insertIfAbsent(k);
      const first = new Date(1_760_000_000_000);
      await storage().keys.scheduleRetirement([a.kid, uniqueId('missing')], first);
      await storage().keys.scheduleRetirement([a.kid, b.kid], new Date(1_770_000_000_000));
      const listed = await storage().keys.list();
      expect(listed.find((k) => k.kid === a.kid)?.retireAt).toEqual(first);
      expect(listed.find((k) => k.kid === b.kid)?.retireAt).toEqual(new Date(1_770_000_000_000));
    });

    it('deletes only keys whose retirement has come', async () => {
      const now = new Date(1_780_000_000_000);
      const gone = { ...key(uniqueId('kid'), new Date(1_750_000_000_000)), retireAt: new Date(now.getTime() - 1) };
      const leaving = { ...key(uniqueId('kid'), new Date(1_750_000_000_000)), retireAt: new Date(now.getTime() + 60_000) };
      const staying = key(uniqueId('kid'), new Date(1_750_000_000_000));
      for (const k of [gone, leaving, staying]) await storage().keys.insertIfAbsent(k);
      expect(await storage().keys.deleteRetired(now)).toBeGreaterThanOrEqual(1);
      const kids = (await storage().keys.list()).map((k) => k.kid);
      expect(kids).not.toContain(gone.kid);
      expect(kids).toEqual(expect.arrayContaining([leaving.kid, staying.kid]));
    });
  });
}
