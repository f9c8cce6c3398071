// Contract: CodesRepository (put/find/recordFailure/consume: single use, expiry, attempt cap, concurrency).
import type { OneTimeCode } from '../../server/domain/codes/codes.repository.ts';
import { uniqueId, useStorage, type OpenStorage } from './harness.ts';

const MAX_ATTEMPTS = 5;

function code(subject: string, overrides: Partial<OneTimeCode> = {}): OneTimeCode {
  const now = Date.now();
  return {
    purpose: 'email_verification',
    subject,
    codeHash: 'a'.repeat(64),
    attempts: 0,
    expiresAt: new Date(now + 10 * 60 * 1000),
    consumedAt: null,
    sentAt: new Date(now),
    data: null,
    ...overrides,
  };
}

export function describeCodesContract(open: OpenStorage): void {
  describe('codes', () => {
    const storage = useStorage(open);

    it('puts a code and finds it with every field intact', async () => {
      const stored = code(uniqueId('acct'), { data: { pendingPasswordHash: '$argon2id$…', 'key.with.dots': 'ok', $dollar: 'ok' } });
      await storage().codes.put(stored);
      expect(await storage().codes.find(stored.purpose, stored.subject)).toEqual(stored);
    });

    it('sweeps codes that expired before the given time, and only those', async () => {
      const old = code(uniqueId('acct'), { expiresAt: new Date(Date.now() - 2 * 24 * 3600 * 1000) });
      const live = code(uniqueId('acct'));
      await storage().codes.put(old);
      await storage().codes.put(live);
      await storage().codes.recordFailure(old.purpose, old.subject);
      expect(await storage().codes.sweepExpired(new Date(Date.now() - 24 * 3600 * 1000))).toBeGreaterThanOrEqual(1);
      expect(await storage().codes.find(old.purpose, old.subject)).toBeUndefined();
      expect(await storage().codes.find(live.purpose, live.subject)).toEqual(live);
    });

    it('returns undefined when there is no code, and keeps purposes apart', async () => {
      const subject = uniqueId('acct');
      expect(await storage().codes.find('email_verification', subject)).toBeUndefined();
      await storage().codes.put(code(subject, { purpose: 'password_reset', codeHash: 'b'.repeat(64) }));
      expect(await storage().codes.find('email_verification', subject)).toBeUndefined();
      expect(await storage().codes.find('password_reset', subject)).toMatchObject({ codeHash: 'b'.repeat(64) });
    });

    it('records failures one by one (0 when there is no code)', async () => {
      const subject = uniqueId('acct');
      expect(await storage().codes.recordFailure('email_verification', subject)).toBe(0);
      await storage().codes.put(code(subject));
      expect(await storage().codes.recordFailure('email_verification', subject)).toBe(1);
      expect(await storage().codes.recordFailure('email_verification', subject)).toBe(2);
      expect((await storage().codes.find('email_verification', subject))?.attempts).toBe(2);
    });

    it('consumes the right code once', async () => {
      const stored = code(uniqueId('acct'));
      await storage().codes.put(stored);
      const now = new Date();
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, now)).toBe(true);
      expect((await storage().codes.find(stored.purpose, stored.subject))?.consumedAt?.getTime()).toBe(now.getTime());
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, new Date())).toBe(false);
    });

    it('refuses a wrong hash and leaves the code usable', async () => {
      const stored = code(uniqueId('acct'));
      await storage().codes.put(stored);
      expect(await storage().codes.consume(stored.purpose, stored.subject, 'f'.repeat(64), MAX_ATTEMPTS, new Date())).toBe(false);
      expect((await storage().codes.find(stored.purpose, stored.subject))?.consumedAt).toBeNull();
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, new Date())).toBe(true);
    });

    it('refuses an expired code but still returns it from find (so the caller can say "expired")', async () => {
      const stored = code(uniqueId('acct'), { expiresAt: new Date(Date.now() - 1000) });
      await storage().codes.put(stored);
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, new Date())).toBe(false);
      expect(await storage().codes.find(stored.purpose, stored.subject)).toEqual(stored);
    });

    it('treats expiry as exclusive: a code is dead at its expiresAt instant', async () => {
      const stored = code(uniqueId('acct'));
      await storage().codes.put(stored);
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, stored.expiresAt)).toBe(false);
      const justBefore = new Date(stored.expiresAt.getTime() - 1);
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, justBefore)).toBe(true);
    });

    it('refuses a code whose attempts reached the maximum, accepts one just below', async () => {
      const exhausted = code(uniqueId('acct'));
      await storage().codes.put(exhausted);
      for (let i = 0; i < MAX_ATTEMPTS; i += 1) await storage().codes.recordFailure(exhausted.purpose, exhausted.subject);
      expect(await storage().codes.consume(exhausted.purpose, exhausted.subject, exhausted.codeHash, MAX_ATTEMPTS, new Date())).toBe(false);

      const lastTry = code(uniqueId('acct'), { attempts: MAX_ATTEMPTS - 1 });
      await storage().codes.put(lastTry);
      expect(await storage().codes.consume(lastTry.purpose, lastTry.subject, lastTry.codeHash, MAX_ATTEMPTS, new Date())).toBe(true);
    });

    it('lets exactly one of 5 concurrent consumes succeed (several rounds: races are intermittent)', async () => {
      for (let round = 0; round < 5; round += 1) {
        const stored = code(uniqueId('acct'));
        await storage().codes.put(stored);
        const now = new Date();
        const results = await Promise.all(
          Array.from({ length: 5 }, () => storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, now)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await storage().codes.find(stored.purpose, stored.subject))?.consumedAt?.getTime()).toBe(now.getTime());
      }
    });

    it('counts every one of 10 concurrent failures (the attempt cap cannot be raced past)', async () => {
      const stored = code(uniqueId('acct'));
      await storage().codes.put(stored);
      const counts = await Promise.all(Array.from({ length: 10 }, () => storage().codes.recordFailure(stored.purpose, stored.subject)));
      expect(Math.max(...counts)).toBe(10);
      expect((await storage().codes.find(stored.purpose, stored.subject))?.attempts).toBe(10);
      expect(await storage().codes.consume(stored.purpose, stored.subject, stored.codeHash, MAX_ATTEMPTS, new Date())).toBe(false);
    });

    it('put replaces the previous code and resets attempts and consumption', async () => {
      const subject = uniqueId('acct');
      const first = code(subject, { codeHash: '1'.repeat(64), data: { step: 'one' } });
      await storage().codes.put(first);
      await storage().codes.recordFailure(first.purpose, subject);
      await storage().codes.recordFailure(first.purpose, subject);
      expect(await storage().codes.consume(first.purpose, subject, first.codeHash, MAX_ATTEMPTS, new Date())).toBe(true);

      const second = code(subject, { codeHash: '2'.repeat(64), sentAt: new Date(Date.now() + 1000) });
      await storage().codes.put(second);
      expect(await storage().codes.find(first.purpose, subject)).toEqual(second);
      expect(await storage().codes.consume(first.purpose, subject, first.codeHash, MAX_ATTEMPTS, new Date())).toBe(false);
      expect(await storage().codes.consume(first.purpose, subject, second.codeHash, MAX_ATTEMPTS, new Date())).toBe(true);
    });

    it('deletes a code (and tolerates deleting a missing one)', async () => {
      const stored = code(uniqueId('acct'));
      await storage().codes.put(stored);
      await storage().codes.delete(stored.purpose, stored.subject);
      expect(await storage().codes.find(stored.purpose, stored.subject)).toBeUndefined();
      await expect(storage().codes.delete(stored.purpose, stored.subject)).resolves.toBeUndefined();
    });
  });
}
