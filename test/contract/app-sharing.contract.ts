// Contract: AppSharingRepository — when a member last used each client (first use kept, last use never moves
// back), their consents and partner links listed, and "Stop sharing" removing exactly one partner's or client's
// rows with its `grant.revoked` events written (and nothing of another member or another client).
import { randomUUID } from 'node:crypto';
import type { StoredConsent } from '../../server/domain/consent/consents.repository.ts';
import { grantRevokedEvent } from '../../server/domain/events/domain-event.ts';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeAppSharingContract(open: OpenStorage): void {
  describe('app sharing (apps and partners)', () => {
    const storage = useStorage(open);
    const sharing = () => storage().appSharing;
    const consent = (accountId: string, clientId: string): StoredConsent => ({
      accountId, clientId, scopes: ['openid', 'email'], claims: ['given_name'], resources: [{ resource: 'https://api.example.com/v1', scopes: ['loyalty'] }], updatedAt: new Date('2026-12-01T10:00:00Z'),
    });

    it('records uses: the first one kept, the last one the latest even when an older write lands after', async () => {
      const [member, shop, cafe] = [randomUUID(), `shop-${randomUUID()}`, `cafe-${randomUUID()}`];
      expect(await sharing().listUses(member)).toEqual([]);
      await sharing().recordUse(member, shop, new Date('2026-12-01T10:00:00Z'));
      await sharing().recordUse(member, shop, new Date('2026-12-03T10:00:00Z'));
      await sharing().recordUse(member, shop, new Date('2026-12-02T10:00:00Z'));
      await sharing().recordUse(member, cafe, new Date('2026-12-04T10:00:00Z'));
      await sharing().recordUse(randomUUID(), shop, new Date('2026-12-05T10:00:00Z'));
      const uses = (await sharing().listUses(member)).sort((a, b) => a.clientId.localeCompare(b.clientId));
      expect(uses).toEqual([
        { accountId: member, clientId: cafe, firstUsedAt: new Date('2026-12-04T10:00:00Z'), lastUsedAt: new Date('2026-12-04T10:00:00Z') },
        { accountId: member, clientId: shop, firstUsedAt: new Date('2026-12-01T10:00:00Z'), lastUsedAt: new Date('2026-12-03T10:00:00Z') },
      ].sort((a, b) => a.clientId.localeCompare(b.clientId)));
    });

    it('lists the member\'s consents and partner links, and nobody else\'s', async () => {
      const [member, other, shop] = [randomUUID(), randomUUID(), `shop-${randomUUID()}`];
      const partner = await storage().partners.create({ name: 'Shop' });
      await storage().consents.save(consent(member, shop));
      await storage().consents.save(consent(other, shop));
      await storage().partners.link({ partnerId: partner.id, subject: `sub-${randomUUID()}`, accountId: member, scope: 'openid email' });
      expect(await sharing().listConsents(member)).toEqual([consent(member, shop)]);
      expect((await sharing().listPartnerLinks(member)).map((link) => [link.partnerId, link.accountId, link.scope])).toEqual([[partner.id, member, 'openid email']]);
      expect(await sharing().listPartnerLinks(randomUUID())).toEqual([]);
    });

    it('withdraws exactly the named clients and partner link, writing the events with it', async () => {
      const [member, other, web, app, cafe] = [randomUUID(), randomUUID(), `web-${randomUUID()}`, `app-${randomUUID()}`, `cafe-${randomUUID()}`];
      const partner = await storage().partners.create({ name: 'Shop' });
      const elsewhere = await storage().partners.create({ name: 'Cafe' });
      const at = new Date('2026-12-01T10:00:00Z');
      for (const clientId of [web, app, cafe]) {
        await storage().consents.save(consent(member, clientId));
        await sharing().recordUse(member, clientId, at);
      }
      await storage().consents.save(consent(other, web));
      await sharing().recordUse(other, web, at);
      const memberSub = `sub-${randomUUID()}`;
      const otherSub = `sub-${randomUUID()}`;
      await storage().partners.link({ partnerId: partner.id, subject: memberSub, accountId: member, scope: 'openid' });
      await storage().partners.link({ partnerId: elsewhere.id, subject: `sub-${randomUUID()}`, accountId: member, scope: 'openid' });
      await storage().partners.link({ partnerId: partner.id, subject: otherSub, accountId: other, scope: 'openid' });
      const events = [grantRevokedEvent(member, web), grantRevokedEvent(member, app)];
      await sharing().withdraw({ accountId: member, clientIds: [web, app], partnerId: partner.id, events });

      expect((await sharing().listConsents(member)).map((c) => c.clientId)).toEqual([cafe]);
      expect((await sharing().listUses(member)).map((u) => u.clientId)).toEqual([cafe]);
      expect((await sharing().listPartnerLinks(member)).map((link) => link.partnerId)).toEqual([elsewhere.id]);
      expect(await storage().partners.findLink(partner.id, memberSub)).toBeUndefined();
      // The other member keeps everything.
      expect(await storage().consents.find(other, web)).toBeDefined();
      expect(await sharing().listUses(other)).toHaveLength(1);
      expect(await storage().partners.findLink(partner.id, otherSub)).toBeDefined();
      // The events are in the outbox, ready to relay.
      const stored = await storage().events.findMany(events.map((event) => event.id));
      expect(stored.map((event) => [event.type, event.data.client_id]).sort()).toEqual([['grant.revoked', app], ['grant.revoked', web]].sort());
      expect((await storage().events.unpublished(100)).map((event) => event.id)).toEqual(expect.arrayContaining(events.map((event) => event.id)));
      // A lone client: no partner link touched; withdrawing again is harmless.
      await sharing().withdraw({ accountId: member, clientIds: [cafe], partnerId: null, events: [] });
      await sharing().withdraw({ accountId: member, clientIds: [cafe], partnerId: null, events: [] });
      expect(await sharing().listConsents(member)).toEqual([]);
      expect((await sharing().listPartnerLinks(member)).map((link) => link.partnerId)).toEqual([elsewhere.id]);
    });
  });
}
