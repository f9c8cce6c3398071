// Mongo rate limits beyond the contract: documents at rest, and recovery from what FerretDB's non-atomic updates leave.
import { storedKey } from '../../server/security/rate-limit/flexible-store.ts';
import { useMongoDatabases, type RawDoc } from '../support/mongo-databases.ts';

const { withRawAccess } = useMongoDatabases('rate_limits');

const rule = { name: 'sign-in-pair', points: 5, durationSeconds: 60 };

describe('mongo rate limits', () => {
  it('keeps only hashes at rest, one slot per allowed point and none for refused consumes', () =>
    withRawAccess(async (storage, raw) => {
      const limiter = storage.rateLimits.limiter(rule);
      const key = 'alice@example.com|203.0.113.9';
      const results = await Promise.all(Array.from({ length: 30 }, () => limiter.consume(key)));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
      for (let i = 0; i < 20; i += 1) await limiter.consume(key);

      const hash = storedKey(rule.name, key);
      const windows = await raw.collection<RawDoc>('rate_limit_windows').find().toArray();
      const slots = await raw.collection<RawDoc>('rate_limit_slots').find().toArray();
      expect(windows.map((doc) => doc._id)).toEqual([hash]);
      expect(slots.map((doc) => doc._id).sort()).toEqual([1, 2, 3, 4, 5].map((n) => `${hash}:1:${n}`));
      expect(JSON.stringify([windows, slots])).not.toMatch(/alice|203\.0|sign-in/);
    }));

  it('probes past a head whose count lags its slots (a lost $inc), raises it, and still stops at the points', () =>
    withRawAccess(async (storage, raw) => {
      const limiter = storage.rateLimits.limiter(rule);
      for (let i = 1; i <= 3; i += 1) await limiter.consume('k');
      const heads = raw.collection<RawDoc>('rate_limit_windows');
      // As concurrent $inc on FerretDB 1.24 can leave it: the head counts 1 where 3 slots are taken.
      await heads.updateOne({ _id: storedKey(rule.name, 'k') }, { $set: { consumed: 1 } });

      expect(await limiter.consume('k')).toEqual({ allowed: true, consumed: 4, remaining: 1, retryAfterSeconds: 0 });
      expect(await heads.findOne({ _id: storedKey(rule.name, 'k') })).toMatchObject({ consumed: 4 });
      expect(await limiter.consume('k')).toMatchObject({ allowed: true, consumed: 5 });
      expect(await limiter.consume('k')).toMatchObject({ allowed: false, consumed: 6 });

      // Lagging by more than the window has left: the probe runs out of slots and refuses.
      await heads.updateOne({ _id: storedKey(rule.name, 'k') }, { $set: { consumed: 0 } });
      expect(await limiter.consume('k')).toMatchObject({ allowed: false, remaining: 0 });
      expect(await raw.collection('rate_limit_slots').countDocuments()).toBe(5);
    }));

  it('opens the next window past a leftover of a swept head, and joins a window another consume opened', () =>
    withRawAccess(async (storage, raw) => {
      const limiter = storage.rateLimits.limiter(rule);
      const slots = raw.collection<RawDoc>('rate_limit_slots');
      const hash = storedKey(rule.name, 'k');
      // The head was swept, but an ended slot 1 of window 1 is still there.
      await slots.insertOne({ _id: `${hash}:1:1`, expiresAt: new Date(Date.now() - 1000) });
      expect(await limiter.consume('k')).toMatchObject({ allowed: true, consumed: 1 });
      expect(await raw.collection<RawDoc>('rate_limit_windows').findOne({ _id: hash })).toMatchObject({ epoch: 2, consumed: 1 });

      // Another process opened window 1 of "j" (took its slot 1) but died before writing the head.
      const other = storedKey(rule.name, 'j');
      await slots.insertOne({ _id: `${other}:1:1`, expiresAt: new Date(Date.now() + 60_000) });
      expect(await limiter.consume('j')).toMatchObject({ allowed: true, consumed: 2 });
      expect(await raw.collection<RawDoc>('rate_limit_windows').findOne({ _id: other })).toMatchObject({ epoch: 1, consumed: 2 });
      for (let i = 0; i < 3; i += 1) await limiter.consume('j');
      expect(await limiter.consume('j')).toMatchObject({ allowed: false });
      expect(await slots.countDocuments({ _id: { $regex: `^${other.replace(/-/g, '\\-')}:` } })).toBe(5);
    }));
});
