// Contract: HooksRepository — one hook per point, changes that keep what they do not name, and the claims a
// post-login hook added per (account, client), replaced by the next sign-in and gone once expired.
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../server/domain/errors.ts';
import type { HookPoint, NewHook } from '../../server/domain/hooks/hooks.repository.ts';
import { useStorage, type OpenStorage } from './harness.ts';

const hook = (point: HookPoint, overrides: Partial<NewHook> = {}): NewHook => ({
  id: randomUUID(), point, url: 'https://hooks.example/x', timeoutMs: 2000, failurePolicy: 'open', enabled: true, claimNamespace: null, secretSealed: 'sealed', ...overrides,
});

export function describeHooksContract(open: OpenStorage): void {
  describe('hooks', () => {
    const storage = useStorage(open);
    const hooks = () => storage().hooks;

    it('creates, finds, lists, changes and deletes a hook; one per point', async () => {
      const created = await hooks().create(hook('post-login', { claimNamespace: 'https://loyalty.example/' }));
      expect(created).toMatchObject({ point: 'post-login', timeoutMs: 2000, failurePolicy: 'open', enabled: true, claimNamespace: 'https://loyalty.example/', secretSealed: 'sealed' });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await hooks().find(created.id)).toEqual(created);
      expect(await hooks().findEnabled('post-login')).toEqual(created);
      expect(await hooks().findEnabled('pre-token')).toBeUndefined();
      await expect(hooks().create(hook('post-login'))).rejects.toMatchObject({ code: 'duplicate' });
      await expect(hooks().create(hook('post-login'))).rejects.toBeInstanceOf(DomainError);

      const changed = await hooks().update(created.id, { enabled: false, timeoutMs: 300 });
      expect(changed).toMatchObject({ enabled: false, timeoutMs: 300, failurePolicy: 'open', claimNamespace: 'https://loyalty.example/', url: 'https://hooks.example/x' });
      expect(await hooks().findEnabled('post-login')).toBeUndefined();
      expect(await hooks().update(randomUUID(), { enabled: true })).toBeUndefined();

      const other = await hooks().create(hook('pre-token'));
      expect((await hooks().list()).map((h) => h.id)).toEqual([created.id, other.id]);
      expect(await hooks().delete(created.id)).toBe(true);
      expect(await hooks().delete(created.id)).toBe(false);
      expect(await hooks().find(created.id)).toBeUndefined();
    });

    it('keeps the claims of (account, client), replaced by the next save, removed by an empty one, invisible once expired and swept', async () => {
      const accountId = randomUUID();
      const later = new Date(Date.now() + 60_000);
      const claims = { 'https://loyalty.example/segment': 'gold', 'https://loyalty.example/n': { a: [1, 2] } };
      await hooks().saveClaims({ accountId, clientId: 'shop', claims, expiresAt: later });
      expect(await hooks().findClaims(accountId, 'shop', new Date())).toEqual(claims);
      expect(await hooks().findClaims(accountId, 'other', new Date())).toBeUndefined();
      await hooks().saveClaims({ accountId, clientId: 'shop', claims: { 'https://loyalty.example/segment': 'silver' }, expiresAt: later });
      expect(await hooks().findClaims(accountId, 'shop', new Date())).toEqual({ 'https://loyalty.example/segment': 'silver' });
      await hooks().saveClaims({ accountId, clientId: 'shop', claims: {}, expiresAt: later });
      expect(await hooks().findClaims(accountId, 'shop', new Date())).toBeUndefined();

      await hooks().saveClaims({ accountId, clientId: 'app', claims, expiresAt: new Date(Date.now() + 1000) });
      const afterExpiry = new Date(Date.now() + 2000);
      expect(await hooks().findClaims(accountId, 'app', afterExpiry)).toBeUndefined();
      expect(await hooks().sweepExpiredClaims(afterExpiry)).toBe(1);
      expect(await hooks().findClaims(accountId, 'app', new Date())).toBeUndefined();
    });
  });
}
