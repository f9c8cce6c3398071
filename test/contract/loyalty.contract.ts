// Contract: LoyaltyRepository — members, and the append-only points ledger with its invariants
// (never negative, balance = sum of entries, one entry per idempotency key), also under concurrency.
import { randomUUID } from 'node:crypto';
import type { PostEntry } from '../../server/domain/loyalty/loyalty.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import { expectDomainError, useStorage, type OpenStorage } from './harness.ts';

export function describeLoyaltyContract(open: OpenStorage): void {
  describe('loyalty', () => {
    const storage = useStorage(open);
    const loyalty = () => storage().loyalty;

    async function newMember() {
      return loyalty().createMember({ accountId: randomUUID(), memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
    }

    function entry(accountId: string, points: number, overrides: Partial<PostEntry> = {}): PostEntry {
      const key = randomUUID();
      return {
        accountId,
        kind: points > 0 ? 'earn' : 'redeem',
        points,
        partnerId: 'partner-1',
        reason: 'test',
        idempotencyKey: key,
        requestHash: `hash-${key}`,
        ...overrides,
      };
    }

    describe('members', () => {
      it('creates a member with a zero balance and finds it by account and by number', async () => {
        const accountId = randomUUID();
        const memberNumber = generateMemberNumber();
        const created = await loyalty().createMember({ accountId, memberNumber, enrolmentChannel: 'kiosk' });
        expect(created).toMatchObject({ accountId, memberNumber, enrolmentChannel: 'kiosk', balance: 0, lifetimePoints: 0 });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(await loyalty().findMember(accountId)).toEqual(created);
        expect(await loyalty().findMemberByNumber(memberNumber)).toEqual(created);
        expect(await loyalty().findMember(randomUUID())).toBeUndefined();
        expect(await loyalty().findMemberByNumber(generateMemberNumber())).toBeUndefined();
      });

      it('refuses a second member for one account and a taken number', async () => {
        const member = await newMember();
        await expectDomainError(loyalty().createMember({ accountId: member.accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' }), 'duplicate');
        await expectDomainError(loyalty().createMember({ accountId: randomUUID(), memberNumber: member.memberNumber, enrolmentChannel: 'web' }), 'duplicate');
      });

      it('of concurrent creates for one account, exactly one succeeds', async () => {
        const accountId = randomUUID();
        const results = await Promise.allSettled(Array.from({ length: 5 }, () =>
          loyalty().createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'app' })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'duplicate' });
      });
    });

    describe('ledger', () => {
      it('applies entries in sequence with running balance and lifetime points', async () => {
        const { accountId } = await newMember();
        const earn = await loyalty().post(entry(accountId, 500));
        const redeem = await loyalty().post(entry(accountId, -200));
        const adjust = await loyalty().post(entry(accountId, 50, { kind: 'adjust', partnerId: null, reason: 'goodwill' }));
        expect(earn).toMatchObject({ ok: true, replayed: false, entry: { sequence: 1, points: 500, balanceAfter: 500, lifetimeAfter: 500, kind: 'earn' } });
        expect(redeem).toMatchObject({ ok: true, entry: { sequence: 2, points: -200, balanceAfter: 300, lifetimeAfter: 500, kind: 'redeem' } });
        expect(adjust).toMatchObject({ ok: true, entry: { sequence: 3, balanceAfter: 350, lifetimeAfter: 550, partnerId: null, reason: 'goodwill' } });
        expect(await loyalty().findMember(accountId)).toMatchObject({ balance: 350, lifetimePoints: 550 });
        expect(await loyalty().sumEntries(accountId)).toBe(350);
        const listed = await loyalty().listEntries(accountId, { limit: 10 });
        expect(listed.map((e) => e.sequence)).toEqual([3, 2, 1]);
        expect(await loyalty().listEntries(accountId, { limit: 1, beforeSequence: 3 })).toEqual([listed[1]]);
        if (!earn.ok) throw new Error('earn failed');
        expect(earn.entry.createdAt).toBeInstanceOf(Date);
        expect(await loyalty().findEntryByKey(earn.entry.idempotencyKey)).toEqual(earn.entry);
      });

      it('refuses an entry that would take the balance below zero, and writes nothing', async () => {
        const { accountId } = await newMember();
        await loyalty().post(entry(accountId, 100));
        const tooMuch = entry(accountId, -101);
        expect(await loyalty().post(tooMuch)).toEqual({ ok: false, reason: 'insufficient_points' });
        expect(await loyalty().findEntryByKey(tooMuch.idempotencyKey)).toBeUndefined();
        expect(await loyalty().findMember(accountId)).toMatchObject({ balance: 100 });
        // The key was not used up: the same request succeeds once the points are there.
        await loyalty().post(entry(accountId, 1));
        expect(await loyalty().post(tooMuch)).toMatchObject({ ok: true, replayed: false, entry: { balanceAfter: 0 } });
      });

      it('replays the original entry for the same key and hash; refuses another hash', async () => {
        const { accountId } = await newMember();
        const first = entry(accountId, 70);
        const original = await loyalty().post(first);
        const again = await loyalty().post(first);
        expect(again).toEqual(original.ok ? { ok: true, replayed: true, entry: original.entry } : undefined);
        expect(await loyalty().post({ ...first, points: 71, requestHash: 'other' })).toEqual({ ok: false, reason: 'idempotency_conflict' });
        expect(await loyalty().sumEntries(accountId)).toBe(70);
        expect(await loyalty().listEntries(accountId, { limit: 10 })).toHaveLength(1);
      });

      it('answers no_member for an unknown account', async () => {
        expect(await loyalty().post(entry(randomUUID(), 10))).toEqual({ ok: false, reason: 'no_member' });
      });

      it('of concurrent posts with one key exactly one writes; the rest replay it', async () => {
        const { accountId } = await newMember();
        const one = entry(accountId, 25);
        const results = await Promise.all(Array.from({ length: 8 }, () => loyalty().post(one)));
        expect(results.every((r) => r.ok)).toBe(true);
        expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
        expect(await loyalty().sumEntries(accountId)).toBe(25);
        expect(await loyalty().findMember(accountId)).toMatchObject({ balance: 25 });
      });

      it('race: 200 redemptions of 100 against 1,000 points, each sent 3 times, give exactly 10 entries', async () => {
        const { accountId } = await newMember();
        await loyalty().post(entry(accountId, 1000));
        const redemptions = Array.from({ length: 200 }, () => entry(accountId, -100));
        const attempts = redemptions.flatMap((r) => [r, r, r]);
        const results = await Promise.all(attempts.map((r) => loyalty().post(r)));

        const written = results.filter((r) => r.ok && !r.replayed);
        expect(written).toHaveLength(10);
        // Every success is one of 10 keys; each of those keys' 3 sends all succeeded with the same entry.
        const keys = new Set(results.flatMap((r) => (r.ok ? [r.entry.idempotencyKey] : [])));
        expect(keys.size).toBe(10);
        expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'insufficient_points')).toBe(true);

        const member = await loyalty().findMember(accountId);
        expect(member?.balance).toBe(0);
        expect(await loyalty().sumEntries(accountId)).toBe(0);
        const entries = await loyalty().listEntries(accountId, { limit: 1000 });
        expect(entries).toHaveLength(11);
        expect(new Set(entries.map((e) => e.idempotencyKey)).size).toBe(11);
        expect(entries.map((e) => e.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
        expect(entries.every((e) => e.balanceAfter >= 0)).toBe(true);
      }, 120_000);

      it('keeps members apart: posts on one never touch another', async () => {
        const a = await newMember();
        const b = await newMember();
        await Promise.all([loyalty().post(entry(a.accountId, 10)), loyalty().post(entry(b.accountId, 20))]);
        expect(await loyalty().findMember(a.accountId)).toMatchObject({ balance: 10 });
        expect(await loyalty().findMember(b.accountId)).toMatchObject({ balance: 20 });
      });

      it('has nothing pending to recover after normal use', async () => {
        expect(await loyalty().recoverPending(new Date(Date.now() + 60_000))).toBe(0);
      });
    });
  });
}
