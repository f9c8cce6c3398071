// Contract: RateLimitStore — exact window numbers, blocks, resets, odd keys and exactness under concurrency, for every store.
import { randomUUID } from 'node:crypto';
import type { LimitResult, LimitRule, RateLimitStore } from '../../server/security/rate-limit/rate-limiter.ts';
import { sleep, useOpened } from './harness.ts';

export interface RateLimitStores {
  store: RateLimitStore;
  /** A second store on the same data, as another process opens it (the same object for the memory store). */
  twin: RateLimitStore;
  close(): Promise<void>;
}

/** Opens stores on fresh, empty data on every call. */
export type OpenRateLimitStores = () => Promise<RateLimitStores>;

/** A rule of its own per test, so tests sharing a store never share counters. */
function rule(over: Partial<LimitRule> = {}): LimitRule {
  return { name: `test-${randomUUID()}`, points: 3, durationSeconds: 60, ...over };
}

const allowed = (consumed: number, remaining: number): LimitResult => ({ allowed: true, consumed, remaining, retryAfterSeconds: 0 });

/** A refusal whose retryAfterSeconds is within [low, high] (real time passes between the calls). */
function expectRefused(result: LimitResult, consumed: number, [low, high]: [number, number]): void {
  expect(result).toEqual({ allowed: false, consumed, remaining: 0, retryAfterSeconds: expect.any(Number) });
  expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(low);
  expect(result.retryAfterSeconds).toBeLessThanOrEqual(high);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function describeRateLimitsContract(open: OpenRateLimitStores): void {
  describe('rate limits', () => {
    const stores = useOpened(open, 'rate-limit stores');
    const store = () => stores().store;

    it('counts consumes in a window, refuses past the points, and peeks without consuming', async () => {
      const limiter = store().limiter(rule());
      const key = 'alice@example.com|203.0.113.9';
      expect(await limiter.peek(key)).toEqual(allowed(0, 3));
      expect(await limiter.consume(key)).toEqual(allowed(1, 2));
      expect(await limiter.peek(key)).toEqual(allowed(1, 2));
      expect(await limiter.consume(key)).toEqual(allowed(2, 1));
      expect(await limiter.consume(key)).toEqual(allowed(3, 0));
      expectRefused(await limiter.peek(key), 3, [58, 60]);
      // Refused consumes count too, as rate-limiter-flexible counts them.
      expectRefused(await limiter.consume(key), 4, [58, 60]);
      expectRefused(await limiter.consume(key), 5, [58, 60]);
      expectRefused(await limiter.peek(key), 5, [58, 60]);
      expect(await limiter.peek('someone-else')).toEqual(allowed(0, 3));
    });

    it('consumes several points at once, and refuses more than the window has left', async () => {
      const limiter = store().limiter(rule({ points: 10 }));
      expect(await limiter.consume('k', 4)).toEqual(allowed(4, 6));
      expectRefused(await limiter.consume('k', 7), 11, [58, 60]);
      expectRefused(await limiter.consume('k'), 12, [58, 60]);
      // More than the points in a first consume: the window opens refused.
      expectRefused(await limiter.consume('big', 11), 11, [58, 60]);
      expectRefused(await limiter.consume('big'), 12, [58, 60]);
      expect(await limiter.consume('exact', 10)).toEqual(allowed(10, 0));
      for (const bad of [0, -1, 1.5, Number.NaN]) await expect(limiter.consume('k', bad)).rejects.toThrow(RangeError);
      expectRefused(await limiter.peek('k'), 12, [58, 60]);
    });

    it('starts a new window once the old one has ended', async () => {
      const limiter = store().limiter(rule({ points: 2, durationSeconds: 1 }));
      expect(await limiter.consume('k')).toEqual(allowed(1, 1));
      expect(await limiter.consume('k')).toEqual(allowed(2, 0));
      expectRefused(await limiter.consume('k'), 3, [1, 1]);
      await sleep(1100);
      expect(await limiter.peek('k')).toEqual(allowed(0, 2));
      expect(await limiter.consume('k')).toEqual(allowed(1, 1));
    });

    it('keeps a key refused for blockSeconds from its first refusal, past its window', async () => {
      const limiter = store().limiter(rule({ points: 1, durationSeconds: 1, blockSeconds: 2 }));
      expect(await limiter.consume('k')).toEqual(allowed(1, 0));
      expectRefused(await limiter.consume('k'), 2, [2, 2]);
      await sleep(1100);
      // The window is over, the block is not.
      expectRefused(await limiter.peek('k'), 2, [1, 1]);
      expectRefused(await limiter.consume('k'), 3, [1, 1]);
      await sleep(1000);
      expect(await limiter.consume('k')).toEqual(allowed(1, 0));
    });

    it('forgets a key on reset, block included, and only that key', async () => {
      const limiter = store().limiter(rule({ points: 1, blockSeconds: 120 }));
      await limiter.consume('k');
      expectRefused(await limiter.consume('k'), 2, [120, 120]);
      await limiter.consume('other');
      await limiter.reset('k');
      expect(await limiter.peek('k')).toEqual(allowed(0, 1));
      expect(await limiter.consume('k')).toEqual(allowed(1, 0));
      expectRefused(await limiter.consume('other'), 2, [119, 120]);
      await expect(limiter.reset('never-seen')).resolves.toBeUndefined();
    });

    it('keeps rules apart by name, and shares one name\'s counters between its limiters', async () => {
      const first = rule({ points: 1 });
      const a = store().limiter(first);
      const b = store().limiter(rule({ points: 1 }));
      expect(await a.consume('k')).toEqual(allowed(1, 0));
      expect(await b.consume('k')).toEqual(allowed(1, 0));
      expectRefused(await store().limiter({ ...first }).consume('k'), 2, [58, 60]);
      expect(() => store().limiter({ ...first, points: 2 })).toThrow(/declared twice/);
      // Name and key are kept apart: ("<n>-x", "") is not ("<n>", "-x").
      const base = `t-${randomUUID()}`;
      expect(await store().limiter(rule({ name: `${base}-x`, points: 1 })).consume('')).toEqual(allowed(1, 0));
      expect(await store().limiter(rule({ name: base, points: 1 })).consume('-x')).toEqual(allowed(1, 0));
    });

    it('takes any key: empty, 10 kB, unicode, lone surrogates, NUL, near twins', async () => {
      const limiter = store().limiter(rule({ points: 1 }));
      const long = 'a'.repeat(10 * 1024);
      const keys = ['', ' ', long, `${long}b`, 'ü', 'u\u0308', '🙂', '\uD800', '\uFFFD', 'x\0y', 'x\0', 'alice@example.com|203.0.113.9', 'Alice@example.com|203.0.113.9'];
      for (const key of keys) expect(await limiter.consume(key)).toEqual(allowed(1, 0));
      for (const key of keys) expectRefused(await limiter.consume(key), 2, [58, 60]);
    });

    it('allows exactly the points among 50 concurrent consumes, every time', async () => {
      const limiter = store().limiter(rule({ points: 10 }));
      for (let round = 0; round < 3; round += 1) {
        const key = `burst-${round}`;
        const results = await Promise.all(Array.from({ length: 50 }, () => limiter.consume(key)));
        const won = results.filter((r) => r.allowed);
        expect(won.map((r) => r.consumed).sort((x, y) => x - y)).toEqual(range(10));
        expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.consumed > 10 && r.retryAfterSeconds >= 1)).toBe(true);
        expect((await limiter.peek(key)).allowed).toBe(false);
      }
    });

    it('never allows more than the points among concurrent consumes of several points', async () => {
      const limiter = store().limiter(rule({ points: 10 }));
      const results = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('k', 3)));
      const won = results.filter((r) => r.allowed);
      expect(won.length).toBeLessThanOrEqual(3);
      expect(won.every((r) => r.consumed <= 10)).toBe(true);
      expect(new Set(won.map((r) => r.consumed)).size).toBe(won.length);
    });

    it('shares counters with a second store on the same data (another process)', async () => {
      const name = rule({ points: 10 });
      const here = store().limiter(name);
      const there = stores().twin.limiter(name);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? here : there).consume('shared')));
      expect(results.filter((r) => r.allowed).map((r) => r.consumed).sort((x, y) => x - y)).toEqual(range(10));
      expect((await there.peek('shared')).allowed).toBe(false);
      await there.reset('shared');
      expect(await here.peek('shared')).toEqual(allowed(0, 10));
      expect(await here.consume('shared', 2)).toEqual(allowed(2, 8));
      expect(await there.peek('shared')).toEqual(allowed(2, 8));
    });

    it('refuses a bad rule when the limiter is made, naming it', () => {
      const good: LimitRule = { name: 'sign-in-pair', points: 1, durationSeconds: 1 };
      for (const fine of [good, { ...good, blockSeconds: 0 }, { ...good, durationSeconds: 60, blockSeconds: 60 }, { ...good, name: 'a1-b2' }]) {
        expect(() => store().limiter({ ...fine, name: `${fine.name}-${randomUUID()}` })).not.toThrow();
      }
      const bad: LimitRule[] = [
        ...['', 'Sign-in', 'sign_in', 'sign in', '-sign', 'sign-', 'sign--in', 'sign.in'].map((name) => ({ ...good, name })),
        ...[0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY].map((points) => ({ ...good, points })),
        ...[0, -1, 0.5, Number.NaN, 8 * 24 * 3600].map((durationSeconds) => ({ ...good, durationSeconds })),
        ...[-1, 1.5, Number.NaN].map((blockSeconds) => ({ ...good, blockSeconds })),
        // A block shorter than its window would end the window early.
        { ...good, durationSeconds: 60, blockSeconds: 30 },
        { ...good, extra: true } as LimitRule,
      ];
      for (const candidate of bad) expect(() => store().limiter(candidate)).toThrow(/^invalid rate-limit rule/);
    });

    describe('sweeping', () => {
      // A store of its own: the count of swept windows must not include other tests' windows.
      const own = useOpened(open, 'rate-limit stores');

      it('forgets the windows and blocks that end before the given time, and keeps the others', async () => {
        const short = own().store.limiter(rule({ durationSeconds: 2 }));
        const long = own().store.limiter(rule({ durationSeconds: 60 }));
        const blocked = own().store.limiter(rule({ points: 1, durationSeconds: 1, blockSeconds: 90 }));
        await short.consume('k');
        await long.consume('k');
        await blocked.consume('k');
        await blocked.consume('k');
        const now = Date.now();
        expect(await own().store.sweepExpired(new Date(now - 1000))).toBe(0);
        expect(await own().store.sweepExpired(new Date(now + 5000))).toBe(1);
        expect(await short.peek('k')).toEqual(allowed(0, 3));
        expect(await long.peek('k')).toEqual(allowed(1, 2));
        expectRefused(await blocked.peek('k'), 2, [88, 90]);
        expect(await own().store.sweepExpired(new Date(now + 61_000))).toBe(1);
        expect(await own().store.sweepExpired(new Date(now + 91_000))).toBe(1);
        expect(await own().store.sweepExpired(new Date(now + 91_000))).toBe(0);
      });
    });
  });
}
