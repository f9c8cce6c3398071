// Contract: ConsentsRepository — a member's consent per client, replaced whole, withdrawn one by one.
import { randomUUID } from 'node:crypto';
import type { StoredConsent } from '../../server/domain/consent/consents.repository.ts';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeConsentsContract(open: OpenStorage): void {
  describe('member consents', () => {
    const storage = useStorage(open);
    const consents = () => storage().consents;
    const consent = (accountId: string, clientId: string, extra: Partial<StoredConsent> = {}): StoredConsent => ({
      accountId, clientId, scopes: ['openid', 'email'], claims: [], resources: [], updatedAt: new Date('2026-12-01T10:00:00Z'), ...extra,
    });

    it('keeps one consent per (member, client), replaced whole on save, resource URLs kept as they are', async () => {
      const [member, shop, cafe] = [randomUUID(), `shop-${randomUUID()}`, `cafe-${randomUUID()}`];
      expect(await consents().find(member, shop)).toBeUndefined();
      await consents().save(consent(member, shop));
      await consents().save(consent(member, cafe, { scopes: ['openid'] }));
      const wider = consent(member, shop, {
        scopes: ['openid', 'email', 'profile'], claims: ['given_name'],
        resources: [{ resource: 'https://api.example.com/v1', scopes: ['loyalty'] }], updatedAt: new Date('2026-12-02T10:00:00Z'),
      });
      await consents().save(wider);
      expect(await consents().find(member, shop)).toEqual(wider);
      expect((await consents().find(member, cafe))?.scopes).toEqual(['openid']);
      expect(await consents().find(randomUUID(), shop)).toBeUndefined();
    });

    it('withdraws one client, or every client of a deleted account', async () => {
      const [member, other, shop, cafe] = [randomUUID(), randomUUID(), `shop-${randomUUID()}`, `cafe-${randomUUID()}`];
      await consents().save(consent(member, shop));
      await consents().save(consent(member, cafe));
      await consents().save(consent(other, shop));
      expect(await consents().delete(member, shop)).toBe(true);
      expect(await consents().delete(member, shop)).toBe(false);
      expect(await consents().find(member, shop)).toBeUndefined();
      expect(await consents().deleteByAccount(member)).toBe(1);
      expect(await consents().find(member, cafe)).toBeUndefined();
      expect(await consents().find(other, shop)).toBeDefined();
    });
  });
}
