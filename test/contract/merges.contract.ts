// Contract: MergesRepository's ledger side (issue 21 item 1) — the merge moves the absorbed member's balance and
// carries its lifetime to the survivor with one adjust on each side, also when the absorbed balance is 0 (a merge's
// 0-point adjust, which creates no spendable point); both ledgers keep balance = sum of entries and a chained sequence.
import { randomUUID } from 'node:crypto';
import type { LedgerEntry } from '../../server/domain/loyalty/loyalty.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { MergePlan } from '../../server/domain/merge/merges.repository.ts';
import { uniqueEmail, useStorage, type OpenStorage } from './harness.ts';

export function describeMergesContract(open: OpenStorage): void {
  describe('member merges (ledger)', () => {
    const storage = useStorage(open);

    /** A member (account and loyalty member) with these posts applied in order (positive: earn; negative: redeem). */
    async function memberWith(...posts: number[]): Promise<string> {
      const { id: accountId } = await storage().accounts.create({ email: uniqueEmail(), emailVerified: true, passwordHash: null });
      await storage().loyalty.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
      for (const points of posts) {
        const key = randomUUID();
        const posted = await storage().loyalty.post({ accountId, kind: points > 0 ? 'earn' : 'redeem', points, partnerId: null, reason: 'test', idempotencyKey: key, requestHash: key });
        expect(posted.ok).toBe(true);
      }
      return accountId;
    }

    function plan(survivorId: string, absorbedId: string): MergePlan {
      const at = new Date();
      return {
        id: randomUUID(), survivorId, absorbedId, requestKey: `contract:${randomUUID()}`, initiatedBy: { kind: 'staff', staffId: 'contract' },
        proof: { method: 'identity_document' }, reason: 'duplicate', subjects: [], redirectUntil: new Date(at.getTime() + 86_400_000), events: [], at,
      };
    }

    /** Balance = sum of entries, sequences 1..n without a gap, each balanceAfter the previous one plus its points. */
    async function expectLedgerInvariant(accountId: string): Promise<LedgerEntry[]> {
      const entries = (await storage().loyalty.listEntries(accountId, { limit: 1000 })).reverse();
      expect(entries.map((entry) => entry.sequence)).toEqual(entries.map((_, i) => i + 1));
      entries.forEach((entry, i) => expect(entry.balanceAfter).toBe((entries[i - 1]?.balanceAfter ?? 0) + entry.points));
      const member = await storage().loyalty.findMember(accountId);
      expect(await storage().loyalty.sumEntries(accountId)).toBe(member?.balance);
      return entries;
    }

    it('carries the lifetime of an absorbed member whose balance is 0 with a 0-point adjust on each side', async () => {
      const survivor = await memberWith(800);
      const absorbed = await memberWith(600, -600);
      const merge = plan(survivor, absorbed);
      const applied = await storage().merges.apply(merge);
      expect(applied).toMatchObject({ ok: true, record: { status: 'done', pointsMoved: 0, lifetimeCarried: 600 } });

      // Lifetime is summed, the balance is not: nothing spendable was created.
      expect(await storage().loyalty.findMember(survivor)).toMatchObject({ balance: 800, lifetimePoints: 1400 });
      expect(await storage().loyalty.findMember(absorbed)).toMatchObject({ balance: 0, lifetimePoints: 600 });
      const [inEntry] = (await expectLedgerInvariant(survivor)).slice(-1);
      const [outEntry] = (await expectLedgerInvariant(absorbed)).slice(-1);
      expect(inEntry).toMatchObject({ kind: 'adjust', points: 0, balanceAfter: 800, lifetimeAfter: 1400, idempotencyKey: `merge:${merge.id}:in` });
      expect(outEntry).toMatchObject({ kind: 'adjust', points: 0, balanceAfter: 0, lifetimeAfter: 600, idempotencyKey: `merge:${merge.id}:out` });
      // Only a merge writes a 0-point entry.
      await expect(storage().loyalty.post({ accountId: survivor, kind: 'adjust', points: 0, partnerId: null, reason: 'x', idempotencyKey: randomUUID(), requestHash: 'h' }))
        .rejects.toMatchObject({ name: 'DomainError', code: 'invalid_input' });
      const late = await storage().loyalty.post({ accountId: absorbed, kind: 'earn', points: 5, partnerId: null, reason: 'late', idempotencyKey: randomUUID(), requestHash: 'h' });
      expect(late).toEqual({ ok: false, reason: 'no_member' });
    });

    it('moves a balance and carries the rest of the lifetime, so both add up', async () => {
      const survivor = await memberWith(250);
      const absorbed = await memberWith(2000, -500);
      const applied = await storage().merges.apply(plan(survivor, absorbed));
      expect(applied).toMatchObject({ ok: true, record: { status: 'done', pointsMoved: 1500, lifetimeCarried: 500 } });
      expect(await storage().loyalty.findMember(survivor)).toMatchObject({ balance: 1750, lifetimePoints: 2250 });
      expect(await storage().loyalty.findMember(absorbed)).toMatchObject({ balance: 0 });
      await expectLedgerInvariant(survivor);
      await expectLedgerInvariant(absorbed);
    });
  });
}
