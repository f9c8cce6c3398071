// Contract: ProfilesRepository — per-field values and skips, and the sign-in count.
import { randomUUID } from 'node:crypto';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeProfilesContract(open: OpenStorage): void {
  describe('profiles', () => {
    const storage = useStorage(open);
    const profiles = () => storage().profiles;

    it('is empty for an unknown account', async () => {
      expect(await profiles().find(randomUUID())).toEqual({ fields: {}, signIns: 0 });
    });

    it('stores values and skips per field, and an answer clears the skip', async () => {
      const accountId = randomUUID();
      const t1 = new Date(1_800_000_000_000);
      await profiles().update(accountId, { values: { given_name: 'Ada', 'address.postal_code': 'SW1A 1AA' }, skipped: ['birthdate'] }, t1);
      const first = await profiles().find(accountId);
      expect(first.fields.given_name).toEqual({ name: 'given_name', value: 'Ada', skippedAt: null, updatedAt: t1 });
      expect(first.fields['address.postal_code']?.value).toBe('SW1A 1AA');
      expect(first.fields.birthdate).toEqual({ name: 'birthdate', value: null, skippedAt: t1, updatedAt: t1 });

      const t2 = new Date(1_800_000_100_000);
      await profiles().update(accountId, { values: { birthdate: '1990-12-10', given_name: 'Ada L.' } }, t2);
      const second = await profiles().find(accountId);
      expect(second.fields.birthdate).toEqual({ name: 'birthdate', value: '1990-12-10', skippedAt: null, updatedAt: t2 });
      expect(second.fields.given_name?.value).toBe('Ada L.');
      expect(second.fields['address.postal_code']?.value).toBe('SW1A 1AA');
    });

    it('skipping an answered field keeps its value', async () => {
      const accountId = randomUUID();
      await profiles().update(accountId, { values: { family_name: 'Lovelace' } }, new Date(1));
      await profiles().update(accountId, { skipped: ['family_name'] }, new Date(2));
      expect((await profiles().find(accountId)).fields.family_name).toMatchObject({ value: 'Lovelace', skippedAt: new Date(2) });
    });

    it('concurrent changes to different fields both stay', async () => {
      const accountId = randomUUID();
      await Promise.all([
        profiles().update(accountId, { values: { given_name: 'A' } }, new Date(5)),
        profiles().update(accountId, { values: { family_name: 'B' } }, new Date(5)),
        profiles().update(accountId, { skipped: ['birthdate'] }, new Date(5)),
      ]);
      const { fields } = await profiles().find(accountId);
      expect(Object.keys(fields).sort()).toEqual(['birthdate', 'family_name', 'given_name']);
    });

    it('counts sign-ins and keeps accounts apart', async () => {
      const a = randomUUID();
      const b = randomUUID();
      expect(await profiles().recordSignIn(a)).toBe(1);
      expect(await profiles().recordSignIn(a)).toBe(2);
      expect(await profiles().recordSignIn(b)).toBe(1);
      expect((await profiles().find(a)).signIns).toBe(2);
      await profiles().update(a, { values: { given_name: 'X' } }, new Date(9));
      expect((await profiles().find(b)).fields).toEqual({});
    });

    it('deletes an account profile', async () => {
      const accountId = randomUUID();
      await profiles().update(accountId, { values: { given_name: 'Gone' } }, new Date(1));
      await profiles().recordSignIn(accountId);
      await profiles().delete(accountId);
      expect(await profiles().find(accountId)).toEqual({ fields: {}, signIns: 0 });
    });
  });
}
