// Contract: PrivacyStore — stored exports (expiry, latest, unbuilt), erasure requests (idempotent, brought forward,
// due, cancelled), and eraseMember leaving nothing of the member while the ledger stays whole under the tombstone.
import { randomBytes, randomUUID } from 'node:crypto';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import { useStorage, type OpenStorage } from './harness.ts';

const DAY = 24 * 60 * 60 * 1000;

export function describePrivacyContract(open: OpenStorage): void {
  describe('privacy store', () => {
    const storage = useStorage(open);
    const privacy = () => storage().privacy;

    it('keeps an export until it expires, built once, and finds the newest one of an account', async () => {
      const accountId = randomUUID();
      const now = new Date('2026-12-01T10:00:00Z');
      const first = randomBytes(16).toString('base64url');
      const second = randomBytes(16).toString('base64url');
      await privacy().createExport({ id: first, accountId, createdAt: now, expiresAt: new Date(now.getTime() + 7 * DAY) });
      await privacy().createExport({ id: second, accountId, createdAt: new Date(now.getTime() + 1000), expiresAt: new Date(now.getTime() + 7 * DAY + 1000) });
      expect(await privacy().findExport(first, now)).toMatchObject({ id: first, accountId, archive: null, readyAt: null });
      expect(await privacy().listUnbuiltExports(new Date(now.getTime() + 2000), 10)).toEqual(expect.arrayContaining([first, second]));
      expect(await privacy().completeExport(first, '{"a":1}', now)).toBe(true);
      expect(await privacy().findExport(first, now)).toMatchObject({ archive: '{"a":1}', readyAt: now });
      expect(await privacy().listUnbuiltExports(new Date(now.getTime() + 2000), 10)).not.toContain(first);
      expect((await privacy().findLatestExport(accountId, now))?.id).toBe(second);
      expect(await privacy().findExport(first, new Date(now.getTime() + 8 * DAY))).toBeUndefined();
      expect(await privacy().sweepExpiredExports(new Date(now.getTime() + 8 * DAY))).toBeGreaterThanOrEqual(2);
      expect(await privacy().completeExport(first, '{}', now)).toBe(false);
    });

    it('schedules an erasure once (a second request keeps the first date), brings it forward on request, and cancels it', async () => {
      const accountId = randomUUID();
      const now = new Date('2026-12-01T10:00:00Z');
      const first = { accountId, requestedAt: now, eraseAt: new Date(now.getTime() + 14 * DAY) };
      expect(await privacy().scheduleErasure(first)).toEqual(first);
      expect(await privacy().scheduleErasure({ accountId, requestedAt: new Date(now.getTime() + DAY), eraseAt: new Date(now.getTime() + 15 * DAY) })).toEqual(first);
      expect(await privacy().listDueErasures(new Date(now.getTime() + 13 * DAY), 10)).not.toContain(accountId);
      expect(await privacy().listDueErasures(new Date(now.getTime() + 14 * DAY), 10)).toContain(accountId);
      expect(await privacy().scheduleErasure({ accountId, requestedAt: now, eraseAt: now }, { replaceLater: true })).toEqual({ ...first, eraseAt: now });
      expect(await privacy().cancelErasure(accountId)).toBe(true);
      expect(await privacy().findErasure(accountId)).toBeUndefined();
      expect(await privacy().cancelErasure(accountId)).toBe(false);
    });

    it('erases the member\'s rows and keeps the ledger, summing to the balance, under the tombstone', async () => {
      const email = `erase-${randomUUID()}@example.com`;
      const account = await storage().accounts.create({ email, emailVerified: true, passwordHash: null });
      const tombstone = randomUUID();
      await storage().loyalty.createMember({ accountId: account.id, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
      for (const points of [100, -30]) {
        const posted = await storage().loyalty.post({ accountId: account.id, kind: points > 0 ? 'earn' : 'redeem', points, partnerId: null, reason: 'test', idempotencyKey: `k:${randomUUID()}`, requestHash: 'h' });
        expect(posted.ok).toBe(true);
      }
      await storage().profiles.update(account.id, { values: { given_name: 'Erin' } }, new Date());
      await storage().devices.record(account.id, randomBytes(32).toString('base64url'), { at: new Date(), ip: null, country: null, userAgent: null });
      await privacy().scheduleErasure({ accountId: account.id, requestedAt: new Date(), eraseAt: new Date() });

      await privacy().eraseMember({ accountId: account.id, email, phone: null, tombstone });
      expect(await storage().accounts.findById(account.id)).toBeUndefined();
      expect(await storage().accounts.findByEmail(email)).toBeUndefined();
      expect(await storage().loyalty.findMember(account.id)).toBeUndefined();
      expect((await storage().profiles.find(account.id)).fields).toEqual({});
      expect(await storage().devices.listByAccount(account.id, 10)).toEqual([]);
      expect(await privacy().findErasure(account.id)).toBeUndefined();
      expect((await storage().loyalty.listEntries(tombstone, { limit: 10 })).map((entry) => entry.points)).toEqual([-30, 100]);
      expect(await storage().loyalty.sumEntries(tombstone)).toBe(70);
      expect(await storage().loyalty.findMember(tombstone)).toMatchObject({ balance: 70, memberNumber: `erased:${tombstone}` });
      // Idempotent: a second pass changes nothing, and the address is free for a new sign-up.
      await privacy().eraseMember({ accountId: account.id, email, phone: null, tombstone: randomUUID() });
      expect(await storage().loyalty.sumEntries(tombstone)).toBe(70);
      await expect(storage().accounts.create({ email, emailVerified: false, passwordHash: null })).resolves.toMatchObject({ email });
    });
  });
}
