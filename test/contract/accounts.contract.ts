// Contract: AccountsRepository (create/find/update/delete, email and phone uniqueness incl. under concurrency).
import { DomainError } from '../../server/domain/errors.ts';
import { expectDomainError, sleep, uniqueEmail, uniquePhone, useStorage, type OpenStorage } from './harness.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function describeAccountsContract(open: OpenStorage): void {
  describe('accounts', () => {
    const storage = useStorage(open);

    it('creates an account and finds it by id and by email', async () => {
      const email = uniqueEmail();
      const before = Date.now();
      const created = await storage().accounts.create({ email, emailVerified: false, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def' });
      expect(created.id).toMatch(UUID);
      expect(created).toMatchObject({ email, emailVerified: false, phone: null, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def', credentialsChangedAt: null });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(created.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());

      expect(await storage().accounts.findById(created.id)).toEqual(created);
      expect(await storage().accounts.findByEmail(email)).toEqual(created);
    });

    it('returns undefined for unknown ids and emails', async () => {
      expect(await storage().accounts.findById('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      expect(await storage().accounts.findByEmail(uniqueEmail())).toBeUndefined();
    });

    it('stores passwordless accounts (null hash)', async () => {
      const created = await storage().accounts.create({ email: uniqueEmail(), emailVerified: true, passwordHash: null });
      expect(await storage().accounts.findById(created.id)).toMatchObject({ passwordHash: null, emailVerified: true });
    });

    it('applies a patch, bumps updatedAt and leaves other fields alone', async () => {
      const created = await storage().accounts.create({ email: uniqueEmail(), emailVerified: false, passwordHash: 'old' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const changedAt = new Date(1_700_000_000_123);
      const updated = await storage().accounts.update(created.id, { emailVerified: true, credentialsChangedAt: changedAt });
      expect(updated).toMatchObject({ id: created.id, email: created.email, emailVerified: true, passwordHash: 'old' });
      expect(updated?.credentialsChangedAt?.getTime()).toBe(changedAt.getTime());
      expect(updated?.createdAt.getTime()).toBe(created.createdAt.getTime());
      expect(updated?.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(await storage().accounts.findById(created.id)).toEqual(updated);

      const cleared = await storage().accounts.update(created.id, { passwordHash: null, credentialsChangedAt: null });
      expect(cleared).toMatchObject({ emailVerified: true, passwordHash: null, credentialsChangedAt: null });
    });

    it('records when the password was set by an emailed reset code, and clears it', async () => {
      const created = await storage().accounts.create({ email: uniqueEmail(), emailVerified: true, passwordHash: 'old' });
      expect(created.passwordFromMailboxAt).toBeNull();
      const resetAt = new Date(1_700_000_000_456);
      const flagged = await storage().accounts.update(created.id, { passwordHash: 'new', passwordFromMailboxAt: resetAt });
      expect(flagged?.passwordFromMailboxAt?.getTime()).toBe(resetAt.getTime());
      expect(await storage().accounts.findById(created.id)).toEqual(flagged);
      // A patch without the field leaves it alone.
      const verified = await storage().accounts.update(created.id, { emailVerified: false });
      expect(verified?.passwordFromMailboxAt?.getTime()).toBe(resetAt.getTime());
      const cleared = await storage().accounts.update(created.id, { passwordFromMailboxAt: null });
      expect(cleared).toMatchObject({ passwordHash: 'new', passwordFromMailboxAt: null });
      expect((await storage().accounts.findById(created.id))?.passwordFromMailboxAt).toBeNull();
    });

    it('returns undefined when updating a missing account', async () => {
      expect(await storage().accounts.update('00000000-0000-4000-8000-000000000000', { emailVerified: true })).toBeUndefined();
    });

    it('rejects a second account with the same email as a duplicate', async () => {
      const email = uniqueEmail();
      await storage().accounts.create({ email, emailVerified: false, passwordHash: null });
      const countBefore = await storage().accounts.count();
      const attempt = storage().accounts.create({ email, emailVerified: true, passwordHash: 'x' });
      await expect(attempt).rejects.toBeInstanceOf(DomainError);
      await expectDomainError(storage().accounts.create({ email, emailVerified: true, passwordHash: 'x' }), 'duplicate');
      expect(await storage().accounts.count()).toBe(countBefore);
      expect(await storage().accounts.findByEmail(email)).toMatchObject({ emailVerified: false });
    });

    it('lets exactly one of 10 concurrent creates with the same email succeed', async () => {
      const email = uniqueEmail();
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => storage().accounts.create({ email, emailVerified: false, passwordHash: `hash-${i}` })),
      );
      const fulfilled = results.filter((result) => result.status === 'fulfilled');
      const rejected = results.filter((result) => result.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(9);
      for (const result of rejected) expect(result.reason).toMatchObject({ name: 'DomainError', code: 'duplicate' });
      const winner = fulfilled[0]?.status === 'fulfilled' ? fulfilled[0].value : undefined;
      expect(await storage().accounts.findByEmail(email)).toEqual(winner);
    });

    it('deletes an account, reports whether it existed, and frees its email', async () => {
      const email = uniqueEmail();
      const created = await storage().accounts.create({ email, emailVerified: true, passwordHash: null });
      expect(await storage().accounts.delete(created.id)).toBe(true);
      expect(await storage().accounts.delete(created.id)).toBe(false);
      expect(await storage().accounts.findById(created.id)).toBeUndefined();
      expect(await storage().accounts.findByEmail(email)).toBeUndefined();

      const again = await storage().accounts.create({ email, emailVerified: false, passwordHash: null });
      expect(again.id).not.toBe(created.id);
      expect(await storage().accounts.findByEmail(email)).toEqual(again);
    });

    it('replaces a password hash only while the stored one is still the expected one', async () => {
      const created = await storage().accounts.create({ email: uniqueEmail(), emailVerified: true, passwordHash: '$2b$04$legacy' });
      // A reset landed first: the upgrade computed from the old hash must not undo it.
      await storage().accounts.update(created.id, { passwordHash: 'reset' });
      expect(await storage().accounts.replacePasswordHash(created.id, '$2b$04$legacy', 'upgraded')).toBe(false);
      expect((await storage().accounts.findById(created.id))?.passwordHash).toBe('reset');

      expect(await storage().accounts.replacePasswordHash(created.id, 'reset', 'upgraded')).toBe(true);
      expect((await storage().accounts.findById(created.id))?.passwordHash).toBe('upgraded');
      // Two concurrent upgrades of the same hash: exactly one wins.
      const both = await Promise.all([
        storage().accounts.replacePasswordHash(created.id, 'upgraded', 'one'),
        storage().accounts.replacePasswordHash(created.id, 'upgraded', 'two'),
      ]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await storage().accounts.replacePasswordHash('00000000-0000-4000-8000-000000000000', 'x', 'y')).toBe(false);
    });

    it('changes the email to a verified one, moves contactChangedAt, frees the old address and refuses a taken one', async () => {
      const accounts = storage().accounts;
      const [oldEmail, newEmail] = [uniqueEmail(), uniqueEmail()];
      const account = await accounts.create({ email: oldEmail, emailVerified: true, passwordHash: null });
      const other = await accounts.create({ email: uniqueEmail(), emailVerified: true, passwordHash: null });
      const changed = await accounts.setEmail(account.id, newEmail);
      expect(changed).toMatchObject({ id: account.id, email: newEmail, emailVerified: true });
      expect(changed!.contactChangedAt).toBeInstanceOf(Date);
      expect((await accounts.findByEmail(newEmail))?.id).toBe(account.id);
      expect(await accounts.findByEmail(oldEmail)).toBeUndefined();
      // The old address is free again: another account (here, a new sign-up) may take it.
      expect((await accounts.create({ email: oldEmail, emailVerified: false, passwordHash: null })).email).toBe(oldEmail);
      await expectDomainError(accounts.setEmail(other.id, newEmail), 'duplicate');
      expect((await accounts.findById(account.id))?.email).toBe(newEmail);
      expect((await accounts.findByEmail(newEmail))?.id).toBe(account.id);
      expect(await accounts.setEmail('00000000-0000-4000-8000-000000000000', uniqueEmail())).toBeUndefined();
    });

    it('counts accounts', async () => {
      const before = await storage().accounts.count();
      const a = await storage().accounts.create({ email: uniqueEmail(), emailVerified: false, passwordHash: null });
      await storage().accounts.create({ email: uniqueEmail(), emailVerified: false, passwordHash: null });
      expect(await storage().accounts.count()).toBe(before + 2);
      await storage().accounts.delete(a.id);
      expect(await storage().accounts.count()).toBe(before + 1);
    });

    describe('phone', () => {
      const accounts = () => storage().accounts;
      const newAccount = () => accounts().create({ email: uniqueEmail(), emailVerified: true, passwordHash: null });

      it('sets a number, bumps updatedAt, finds the account by it, and keeps it across other updates', async () => {
        const created = await newAccount();
        const phone = uniquePhone();
        await sleep(5);
        const updated = await accounts().setPhone(created.id, phone);
        expect(created.contactChangedAt).toBeNull();
        expect(updated).toEqual({ ...created, phone, updatedAt: expect.any(Date), contactChangedAt: expect.any(Date) });
        expect(updated?.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
        expect(updated?.contactChangedAt?.getTime()).toBe(updated?.updatedAt.getTime());
        expect(await accounts().findById(created.id)).toEqual(updated);
        expect(await accounts().findByPhone(phone)).toEqual(updated);
        expect(await accounts().findByPhone(uniquePhone())).toBeUndefined();

        const patched = await accounts().update(created.id, { emailVerified: false });
        expect(patched).toMatchObject({ phone, emailVerified: false });
        expect(await accounts().findByPhone(phone)).toEqual(patched);
      });

      it('accepts the number the account already has, and still frees it afterwards', async () => {
        const account = await newAccount();
        const phone = uniquePhone();
        const first = await accounts().setPhone(account.id, phone);
        await sleep(5);
        const same = await accounts().setPhone(account.id, phone);
        expect(same).toMatchObject({ id: account.id, phone });
        // Setting the same number again is no change of contact.
        expect(same?.contactChangedAt?.getTime()).toBe(first?.contactChangedAt?.getTime());
        expect((await accounts().findById(account.id))?.contactChangedAt?.getTime()).toBe(first?.contactChangedAt?.getTime());
        expect(await accounts().findByPhone(phone)).toMatchObject({ id: account.id });

        await accounts().setPhone(account.id, null);
        const other = await newAccount();
        expect(await accounts().setPhone(other.id, phone)).toMatchObject({ id: other.id, phone });
      });

      it('frees the old number when the number changes', async () => {
        const [a, b] = [await newAccount(), await newAccount()];
        const [first, second] = [uniquePhone(), uniquePhone()];
        await accounts().setPhone(a.id, first);
        expect(await accounts().setPhone(a.id, second)).toMatchObject({ id: a.id, phone: second });
        expect(await accounts().findByPhone(first)).toBeUndefined();
        expect(await accounts().findByPhone(second)).toMatchObject({ id: a.id });

        expect(await accounts().setPhone(b.id, first)).toMatchObject({ id: b.id, phone: first });
        expect(await accounts().findByPhone(first)).toMatchObject({ id: b.id });
      });

      it('removes the number with null and frees it', async () => {
        const [a, b] = [await newAccount(), await newAccount()];
        const phone = uniquePhone();
        await accounts().setPhone(a.id, phone);
        const removed = await accounts().setPhone(a.id, null);
        expect(removed).toMatchObject({ id: a.id, phone: null });
        expect(await accounts().findById(a.id)).toEqual(removed);
        expect(await accounts().findByPhone(phone)).toBeUndefined();
        expect(await accounts().setPhone(a.id, null)).toMatchObject({ phone: null });

        expect(await accounts().setPhone(b.id, phone)).toMatchObject({ id: b.id, phone });
      });

      it("refuses a number another account holds as a duplicate and leaves the loser's number alone", async () => {
        const [holder, loser] = [await newAccount(), await newAccount()];
        const [phone, own] = [uniquePhone(), uniquePhone()];
        await accounts().setPhone(holder.id, phone);
        const before = await accounts().setPhone(loser.id, own);
        await expectDomainError(accounts().setPhone(loser.id, phone), 'duplicate');
        expect(await accounts().findById(loser.id)).toEqual(before);
        expect(await accounts().findByPhone(own)).toEqual(before);
        expect(await accounts().findByPhone(phone)).toMatchObject({ id: holder.id, phone });
      });

      it('lets exactly one of several accounts setting one number at once have it', async () => {
        const contenders = await Promise.all(Array.from({ length: 8 }, () => newAccount()));
        const phone = uniquePhone();
        const results = await Promise.allSettled(contenders.map((account) => accounts().setPhone(account.id, phone)));
        const fulfilled = results.filter((result) => result.status === 'fulfilled');
        const rejected = results.filter((result) => result.status === 'rejected');
        expect(fulfilled).toHaveLength(1);
        for (const result of rejected) expect(result.reason).toMatchObject({ name: 'DomainError', code: 'duplicate' });
        const winner = fulfilled[0]?.status === 'fulfilled' ? fulfilled[0].value : undefined;
        expect(winner).toMatchObject({ phone });
        expect(await accounts().findByPhone(phone)).toEqual(winner);
        const stored = await Promise.all(contenders.map((account) => accounts().findById(account.id)));
        expect(stored.filter((account) => account?.phone === phone)).toHaveLength(1);
      });

      it('answers undefined for a missing account and leaves the number free', async () => {
        const missing = '00000000-0000-4000-8000-000000000000';
        const phone = uniquePhone();
        expect(await accounts().setPhone(missing, phone)).toBeUndefined();
        expect(await accounts().setPhone(missing, null)).toBeUndefined();
        expect(await accounts().findByPhone(phone)).toBeUndefined();
        const account = await newAccount();
        expect(await accounts().setPhone(account.id, phone)).toMatchObject({ id: account.id, phone });
        // Whoever holds the number, a missing account is not found rather than refused.
        expect(await accounts().setPhone(missing, phone)).toBeUndefined();
        expect(await accounts().findByPhone(phone)).toMatchObject({ id: account.id });
      });

      it('frees the number when the account is deleted', async () => {
        const [a, b] = [await newAccount(), await newAccount()];
        const phone = uniquePhone();
        await accounts().setPhone(a.id, phone);
        expect(await accounts().delete(a.id)).toBe(true);
        expect(await accounts().findByPhone(phone)).toBeUndefined();
        expect(await accounts().setPhone(b.id, phone)).toMatchObject({ id: b.id, phone });
        expect(await accounts().findByPhone(phone)).toMatchObject({ id: b.id });
      });
    });

    it('keeps unicode in emails and hashes intact', async () => {
      const email = `ünïcødé-${Date.now()}@exämple.com`;
      const created = await storage().accounts.create({ email, emailVerified: false, passwordHash: 'pbkdf2$Ω≈ç√😀' });
      expect(await storage().accounts.findByEmail(email)).toEqual(created);
      expect(created.passwordHash).toBe('pbkdf2$Ω≈ç√😀');
    });

    describe('phone-first members (no email)', () => {
      it('creates any number of accounts without an email; each holds its own verified phone, found by it', async () => {
        const [first, second] = [await storage().accounts.create({ email: null, emailVerified: false, passwordHash: null }), await storage().accounts.create({ email: null, emailVerified: false, passwordHash: null })];
        expect([first.email, second.email]).toEqual([null, null]);
        const phone = uniquePhone();
        expect(await storage().accounts.setPhone(first.id, phone)).toMatchObject({ id: first.id, email: null, phone });
        await expectDomainError(storage().accounts.setPhone(second.id, phone), 'duplicate');
        expect(await storage().accounts.findByPhone(phone)).toMatchObject({ id: first.id, email: null });
        expect(await storage().accounts.findById(first.id)).toMatchObject({ email: null, emailVerified: false });
      });

      it('a verified phone keeps an account without a verified email out of the unverified cleanup', async () => {
        const phoneFirst = await storage().accounts.create({ email: null, emailVerified: false, passwordHash: null });
        await storage().accounts.setPhone(phoneFirst.id, uniquePhone());
        const unproven = await storage().accounts.create({ email: uniqueEmail(), emailVerified: false, passwordHash: null });
        const later = new Date(Date.now() + 60_000);
        const listed = await storage().accounts.listUnverified(later, 10_000);
        expect(listed).toContain(unproven.id);
        expect(listed).not.toContain(phoneFirst.id);
        expect(await storage().accounts.deleteUnverified(phoneFirst.id, later)).toBe(false);
        expect(await storage().accounts.findById(phoneFirst.id)).toBeDefined();
      });

      it('adds a first email to a phone-first account; the address is then unique as any other', async () => {
        const account = await storage().accounts.create({ email: null, emailVerified: false, passwordHash: null });
        const email = uniqueEmail();
        expect(await storage().accounts.setEmail(account.id, email)).toMatchObject({ id: account.id, email, emailVerified: true });
        expect(await storage().accounts.findByEmail(email)).toMatchObject({ id: account.id });
        await expectDomainError(storage().accounts.create({ email, emailVerified: false, passwordHash: null }), 'duplicate');
        expect(await storage().accounts.delete(account.id)).toBe(true);
        expect(await storage().accounts.create({ email, emailVerified: false, passwordHash: null })).toMatchObject({ email });
      });
    });
  });
}
