// Contract: ImportedMembersRepository — importing the old program's members idempotently by card number, and
// claiming a record once: exactly one of concurrent claimers wins, a claimed record is never re-imported.
import { randomInt, randomUUID } from 'node:crypto';
import type { NewImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import { expectDomainError, uniquePhone, useStorage, type OpenStorage } from './harness.ts';

/** A random card number of 8-19 digits, with a leading zero now and then (it is part of the number). */
function cardNumber(length = randomInt(8, 20)): string {
  return Array.from({ length }, () => randomInt(10)).join('');
}

function record(overrides: Partial<NewImportedMember> = {}): NewImportedMember {
  return { cardNumber: cardNumber(), name: 'Jane Old-Program', email: `old-${randomUUID()}@example.com`, phone: uniquePhone(), balance: 1234, ...overrides };
}

export function describeImportedMembersContract(open: OpenStorage): void {
  describe('imported members', () => {
    const storage = useStorage(open);
    const imported = () => storage().importedMembers;

    it('imports new records and finds them by card number, unclaimed', async () => {
      const a = record({ cardNumber: `00${cardNumber(10)}` });
      const b = record({ email: null });
      const c = record({ phone: null, balance: 0 });
      const before = Date.now();
      expect(await imported().importMany([a, b, c])).toEqual(['inserted', 'inserted', 'inserted']);
      const found = await imported().find(a.cardNumber);
      expect(found).toEqual({ ...a, importedAt: expect.any(Date), claimedBy: null, claimedAt: null });
      expect(found!.importedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await imported().find(b.cardNumber)).toMatchObject({ email: null, phone: b.phone });
      expect(await imported().find(c.cardNumber)).toMatchObject({ phone: null, balance: 0 });
      // Leading zeros are part of the number.
      expect(await imported().find(a.cardNumber.slice(2))).toBeUndefined();
      expect(await imported().find(cardNumber())).toBeUndefined();
      expect(await imported().importMany([])).toEqual([]);
    });

    it('re-importing an unclaimed card updates it; importing it twice in one batch keeps the last', async () => {
      const first = record();
      await imported().importMany([first]);
      const changed = { ...first, name: 'Jane Renamed', email: null, balance: 99 };
      const last = { ...changed, balance: 100 };
      expect(await imported().importMany([changed, last])).toEqual(['updated', 'updated']);
      expect(await imported().find(first.cardNumber)).toMatchObject({ name: 'Jane Renamed', email: null, phone: first.phone, balance: 100, claimedBy: null });
      const fresh = record();
      expect(await imported().importMany([fresh, { ...fresh, balance: 5 }])).toEqual(['inserted', 'updated']);
      expect(await imported().find(fresh.cardNumber)).toMatchObject({ balance: 5 });
    });

    it('claims a record once: the claimer gets it, a retry by the same account is told so, anyone else is refused', async () => {
      const card = record();
      await imported().importMany([card]);
      const owner = randomUUID();
      const claimed = await imported().claim(card.cardNumber, owner);
      expect(claimed).toEqual({ ok: true, alreadyYours: false, record: { ...card, importedAt: expect.any(Date), claimedBy: owner, claimedAt: expect.any(Date) } });
      expect(await imported().find(card.cardNumber)).toEqual(claimed.ok && claimed.record);
      expect(await imported().claim(card.cardNumber, owner)).toEqual({ ok: true, alreadyYours: true, record: claimed.ok && claimed.record });
      expect(await imported().claim(card.cardNumber, randomUUID())).toEqual({ ok: false, reason: 'claimed' });
      expect(await imported().claim(cardNumber(), owner)).toEqual({ ok: false, reason: 'not_found' });
    });

    it('leaves a claimed card alone on re-import, and reports it', async () => {
      const card = record({ balance: 500 });
      const other = record();
      await imported().importMany([card, other]);
      const owner = randomUUID();
      const claimed = await imported().claim(card.cardNumber, owner);
      expect(await imported().importMany([{ ...card, name: 'Someone Else', balance: 1_000_000 }, { ...other, balance: 7 }])).toEqual(['claimed', 'updated']);
      expect(await imported().find(card.cardNumber)).toEqual(claimed.ok && claimed.record);
      expect(await imported().find(other.cardNumber)).toMatchObject({ balance: 7, claimedBy: null });
    });

    it('of concurrent claims of one card by different accounts exactly one wins, and the record names it (several rounds)', async () => {
      for (let round = 0; round < 5; round += 1) {
        const card = record();
        await imported().importMany([card]);
        const accounts = Array.from({ length: 6 }, () => randomUUID());
        const results = await Promise.all(accounts.map((accountId) => imported().claim(card.cardNumber, accountId)));
        const winners = results.filter((result) => result.ok);
        expect(winners).toHaveLength(1);
        expect(results.filter((result) => !result.ok)).toEqual(Array.from({ length: 5 }, () => ({ ok: false, reason: 'claimed' })));
        const winner = accounts[results.findIndex((result) => result.ok)];
        expect(await imported().find(card.cardNumber)).toMatchObject({ claimedBy: winner, balance: card.balance });
      }
    });

    it('a claim racing a re-import of the card: the claimed balance is one that was imported, and the record stays claimed', async () => {
      const card = record({ balance: 100 });
      await imported().importMany([card]);
      const owner = randomUUID();
      const [claim, outcome] = await Promise.all([
        imported().claim(card.cardNumber, owner),
        imported().importMany([{ ...card, balance: 200 }]),
      ]);
      expect(claim.ok).toBe(true);
      const found = await imported().find(card.cardNumber);
      expect(found).toMatchObject({ claimedBy: owner });
      expect([100, 200]).toContain(found!.balance);
      expect(claim.ok && claim.record.balance).toBe(found!.balance);
      expect([['updated'], ['claimed']]).toContainEqual(outcome);
      expect(await imported().importMany([{ ...card, balance: 300 }])).toEqual(['claimed']);
      expect(await imported().find(card.cardNumber)).toEqual(found);
    });

    it('refuses a record the rules forbid with invalid_input, and imports nothing of that batch', async () => {
      const good = record();
      for (const bad of [
        record({ cardNumber: '1234567' }),
        record({ cardNumber: '12345678901234567890' }),
        record({ cardNumber: '1234 5678' }),
        record({ cardNumber: '' }),
        record({ name: '' }),
        record({ name: 'x'.repeat(201) }),
        record({ email: 'not-an-address' }),
        record({ phone: '07911 123456' }),
        record({ balance: -1 }),
        record({ balance: 1.5 }),
        record({ balance: Number.MAX_SAFE_INTEGER + 2 }),
      ]) {
        await expectDomainError(imported().importMany([good, bad]), 'invalid_input');
      }
      expect(await imported().find(good.cardNumber)).toBeUndefined();
    });

    it('takes a batch of 1,000 records', async () => {
      const batch = Array.from({ length: 1000 }, (_, i) => record({ cardNumber: `9${String(i).padStart(4, '0')}${cardNumber(8)}`, balance: i }));
      const outcomes = await imported().importMany(batch);
      expect(outcomes.filter((o) => o === 'inserted')).toHaveLength(1000);
      expect(await imported().find(batch[999]!.cardNumber)).toMatchObject({ balance: 999 });
      expect(await imported().importMany(batch.slice(0, 10))).toEqual(Array.from({ length: 10 }, () => 'updated'));
    }, 60_000);
  });
}
