// A post from another process that is already past the freeze check when a merge runs (issue 21 item 1, MongoDB):
// two instances on one database, the second holding its post right before its insert (the named test-only seam)
// while the first merges the member. The post must not land on the tombstone after the merge moved its balance: it
// is refused (no_member, nothing written, its key free), the tombstone ends at 0, every point is on the survivor,
// and both ledgers keep balance = sum of entries with a chained sequence.
import { randomUUID } from 'node:crypto';
import type { MongoLoyaltyRepository } from '../../adapters/mongo/loyalty.ts';
import type { LedgerEntry, PostEntry, PostResult } from '../../server/domain/loyalty/loyalty.repository.ts';
import { generateMemberNumber } from '../../server/domain/loyalty/member-number.ts';
import type { MergePlan } from '../../server/domain/merge/merges.repository.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { useMongoDatabases } from '../support/mongo-databases.ts';

const { withTwoInstances } = useMongoDatabases('merge_late_post');

async function memberWith(storage: Storage, points: number): Promise<string> {
  const { id: accountId } = await storage.accounts.create({ email: `late.${randomUUID()}@example.com`, emailVerified: true, passwordHash: null });
  await storage.loyalty.createMember({ accountId, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
  const key = randomUUID();
  expect((await storage.loyalty.post({ accountId, kind: 'earn', points, partnerId: null, reason: 'seed', idempotencyKey: key, requestHash: key })).ok).toBe(true);
  return accountId;
}

function plan(survivorId: string, absorbedId: string): MergePlan {
  const at = new Date();
  return {
    id: randomUUID(), survivorId, absorbedId, requestKey: `late:${randomUUID()}`, initiatedBy: { kind: 'staff', staffId: 'test' }, proof: { method: 'other' },
    reason: 'duplicate', subjects: [], redirectUntil: new Date(at.getTime() + 86_400_000), events: [], at,
  };
}

function post(accountId: string, points: number): PostEntry {
  const key = randomUUID();
  return { accountId, kind: points > 0 ? 'earn' : 'redeem', points, partnerId: 'partner', reason: 'late', idempotencyKey: key, requestHash: `hash-${key}` };
}

/** Holds every post of `loyalty` whose key is in `keys` right before its insert, until `release()`. */
function holdBeforeInsert(loyalty: MongoLoyaltyRepository, keys: ReadonlySet<string>) {
  const arrived = new Set<string>();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  loyalty.seams.beforeAppend = async (input) => {
    if (!keys.has(input.idempotencyKey)) return;
    arrived.add(input.idempotencyKey);
    await released;
  };
  const allArrived = async () => {
    while (arrived.size < keys.size) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { allArrived, release };
}

/** Balance = sum of entries, sequences 1..n without a gap, each balanceAfter the previous one plus its points. */
async function expectLedgerInvariant(storage: Storage, accountId: string): Promise<LedgerEntry[]> {
  const entries = (await storage.loyalty.listEntries(accountId, { limit: 1000 })).reverse();
  expect(entries.map((entry) => entry.sequence)).toEqual(entries.map((_, i) => i + 1));
  entries.forEach((entry, i) => expect(entry.balanceAfter).toBe((entries[i - 1]?.balanceAfter ?? 0) + entry.points));
  expect(await storage.loyalty.sumEntries(accountId)).toBe((await storage.loyalty.findMember(accountId))?.balance);
  return entries;
}

describe('a post from another process racing a merge (mongo)', () => {
  // An earn must not be stranded on the tombstone; a redemption must not spend there (posts of one member queue
  // within a process, so each case holds one post).
  it.each([['an earn', 100], ['a redemption', -500]])('%s held past the freeze check is refused once the merge closed the ledger', (_, points) =>
    withTwoInstances(async (first, second) => {
      const survivor = await memberWith(first, 250);
      const absorbed = await memberWith(first, 1750);
      const late = post(absorbed, points);
      // The second instance's post passed the freeze check and read the head (the member was not merged yet).
      const hold = holdBeforeInsert(second.loyalty as MongoLoyaltyRepository, new Set([late.idempotencyKey]));
      const answer = second.loyalty.post(late);
      await hold.allArrived();

      // Meanwhile the first instance merges the member, start to finish.
      const merge = plan(survivor, absorbed);
      expect(await first.merges.apply(merge)).toMatchObject({ ok: true, record: { status: 'done', pointsMoved: 1750 } });
      hold.release();

      // It answers as a post to a merged member: refused, nothing written, its key free.
      expect(await answer).toEqual({ ok: false, reason: 'no_member' });
      expect(await first.loyalty.findEntryByKey(late.idempotencyKey)).toBeUndefined();
      expect(await second.loyalty.recoverPending(new Date(Date.now() + 60_000))).toBe(0);

      // The tombstone ends with the merge's closing entry at 0; every point is the survivor's.
      const absorbedEntries = await expectLedgerInvariant(first, absorbed);
      expect(absorbedEntries.map((entry) => [entry.idempotencyKey.startsWith('merge:') ? entry.idempotencyKey : 'seed', entry.balanceAfter]))
        .toEqual([['seed', 1750], [`merge:${merge.id}:out`, 0]]);
      await expectLedgerInvariant(first, survivor);
      expect(await first.loyalty.findMember(survivor)).toMatchObject({ balance: 2000, lifetimePoints: 2000 });
      expect(await second.loyalty.findMember(absorbed)).toMatchObject({ balance: 0 });
    }), 60_000);

  it('is moved to the survivor, its lifetime counted once, when it lands between the merge\'s balance read and its closing entry', () =>
    withTwoInstances(async (first, second) => {
      const survivor = await memberWith(first, 250);
      const absorbed = await memberWith(first, 1750);
      const earn = post(absorbed, 100);
      const merge = plan(survivor, absorbed);
      // The second instance's earn passed the freeze check before the merge froze the member, and waits to insert.
      const hold = holdBeforeInsert(second.loyalty as MongoLoyaltyRepository, new Set([earn.idempotencyKey]));
      const answer = second.loyalty.post(earn);
      await hold.allArrived();
      // The merge froze the member, read the balance (1,750) and is about to append its closing entry: the earn lands first.
      let landed: PostResult | undefined;
      (first.loyalty as MongoLoyaltyRepository).seams.beforeAppend = async (input) => {
        if (input.idempotencyKey !== `merge:${merge.id}:out` || landed) return;
        hold.release();
        landed = await answer;
      };
      expect(await first.merges.apply(merge)).toMatchObject({ ok: true, record: { pointsMoved: 1850, lifetimeCarried: 0 } });
      expect(landed).toMatchObject({ ok: true, replayed: false });
      // The closing entry left the 100 over; a second pair moved them.
      const absorbedEntries = await expectLedgerInvariant(first, absorbed);
      expect(absorbedEntries.map((entry) => entry.points)).toEqual([1750, 100, -1750, -100]);
      expect(absorbedEntries.at(-1)).toMatchObject({ balanceAfter: 0, lifetimeAfter: 1850 });
      await expectLedgerInvariant(first, survivor);
      expect(await first.loyalty.findMember(survivor)).toMatchObject({ balance: 2100, lifetimePoints: 2100 });
    }), 60_000);
});
