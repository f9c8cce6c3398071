// Contract: DevicesRepository — the devices an account signed in on, first sighting decided once.
import { randomBytes, randomUUID } from 'node:crypto';
import { useStorage, type OpenStorage } from './harness.ts';

const hash = () => randomBytes(32).toString('base64url');

export function describeDevicesContract(open: OpenStorage): void {
  describe('known devices', () => {
    const storage = useStorage(open);
    const devices = () => storage().devices;
    const seen = (at: Date, extra: Partial<{ ip: string | null; country: string | null; userAgent: string | null }> = {}) => ({
      at, ip: '203.0.113.9', country: 'GB', userAgent: 'Mozilla/5.0', ...extra,
    });

    it('says a device is new once, then known, keeping when it was first seen', async () => {
      const accountId = randomUUID();
      const device = hash();
      const first = new Date('2026-11-01T10:00:00Z');
      const later = new Date('2026-11-02T10:00:00Z');
      expect(await devices().record(accountId, device, seen(first))).toEqual({ known: false });
      expect(await devices().record(accountId, device, seen(later, { ip: '198.51.100.1', country: 'FR', userAgent: null }))).toEqual({ known: true });
      expect(await devices().find(accountId, device)).toEqual({
        accountId, deviceHash: device, firstSeenAt: first, lastSeenAt: later, lastIp: '198.51.100.1', lastCountry: 'FR', userAgent: null,
      });
    });

    it('keeps devices per account: the same browser is new to another account', async () => {
      const device = hash();
      const [a, b] = [randomUUID(), randomUUID()];
      await devices().record(a, device, seen(new Date()));
      expect(await devices().record(b, device, seen(new Date()))).toEqual({ known: false });
      expect(await devices().find(a, hash())).toBeUndefined();
    });

    it('never moves last seen back for an older sighting', async () => {
      const accountId = randomUUID();
      const device = hash();
      const newer = new Date('2026-11-05T00:00:00Z');
      await devices().record(accountId, device, seen(newer));
      await devices().record(accountId, device, seen(new Date('2026-11-04T00:00:00Z')));
      expect((await devices().find(accountId, device))?.lastSeenAt).toEqual(newer);
    });

    it('lists an account\'s devices most recently seen first, up to the limit', async () => {
      const accountId = randomUUID();
      const hashes = [hash(), hash(), hash()];
      for (const [i, device] of hashes.entries()) await devices().record(accountId, device, seen(new Date(Date.UTC(2026, 10, 1 + i))));
      const listed = await devices().listByAccount(accountId, 10);
      expect(listed.map((d) => d.deviceHash)).toEqual([...hashes].reverse());
      expect(await devices().listByAccount(accountId, 2)).toHaveLength(2);
      expect(await devices().listByAccount(randomUUID(), 10)).toEqual([]);
    });

    it('of concurrent first sightings of one device exactly one is "new"', async () => {
      const accountId = randomUUID();
      const device = hash();
      const results = await Promise.all(Array.from({ length: 12 }, () => devices().record(accountId, device, seen(new Date()))));
      expect(results.filter((r) => !r.known)).toHaveLength(1);
      expect(await devices().listByAccount(accountId, 100)).toHaveLength(1);
    });

    it('forgets one device or all of an account\'s', async () => {
      const accountId = randomUUID();
      const [one, two] = [hash(), hash()];
      await devices().record(accountId, one, seen(new Date()));
      await devices().record(accountId, two, seen(new Date()));
      expect(await devices().delete(accountId, one)).toBe(true);
      expect(await devices().delete(accountId, one)).toBe(false);
      expect(await devices().record(accountId, one, seen(new Date()))).toEqual({ known: false });
      expect(await devices().deleteByAccount(accountId)).toBe(2);
      expect(await devices().listByAccount(accountId, 100)).toEqual([]);
    });
  });
}
