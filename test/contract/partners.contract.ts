// Contract: PartnersRepository — partners, and the member links that bound what a partner may see.
import { randomUUID } from 'node:crypto';
import { useStorage, type OpenStorage } from './harness.ts';

export function describePartnersContract(open: OpenStorage): void {
  describe('partners', () => {
    const storage = useStorage(open);
    const partners = () => storage().partners;

    it('creates partners with distinct ids and finds them', async () => {
      const a = await partners().create({ name: 'Coffee & Co' });
      const b = await partners().create({ name: 'Coffee & Co' });
      expect(a.id).not.toBe(b.id);
      expect(a).toMatchObject({ name: 'Coffee & Co' });
      expect(a.createdAt).toBeInstanceOf(Date);
      expect(await partners().find(a.id)).toEqual(a);
      expect(await partners().find(randomUUID())).toBeUndefined();
    });

    it('lists partners oldest first, a page at a time', async () => {
      const created = [];
      for (const name of ['p1', 'p2', 'p3']) {
        created.push(await partners().create({ name }));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const all = await partners().list({ limit: 100 });
      const ids = all.map((p) => p.id);
      expect(ids.indexOf(created[0]!.id)).toBeLessThan(ids.indexOf(created[1]!.id));
      expect(ids.indexOf(created[1]!.id)).toBeLessThan(ids.indexOf(created[2]!.id));
      const first = await partners().list({ limit: 1 });
      const next = await partners().list({ limit: 1, after: first[0]!.id });
      expect(next[0]!.id).toBe(all[1]!.id);
    });

    it('renames a partner, keeping its id and creation time; an unknown id renames nothing', async () => {
      const partner = await partners().create({ name: 'Old name' });
      const renamed = await partners().rename(partner.id, 'New name');
      expect(renamed).toEqual({ ...partner, name: 'New name' });
      expect(await partners().find(partner.id)).toEqual(renamed);
      expect(await partners().rename(randomUUID(), 'Nobody')).toBeUndefined();
    });

    it('counts the members who signed in to a partner, each once however often', async () => {
      const partner = await partners().create({ name: 'Counted' });
      const other = await partners().create({ name: 'Other' });
      expect(await partners().countMembers(partner.id)).toBe(0);
      const [first, second] = [randomUUID(), randomUUID()];
      await partners().link({ partnerId: partner.id, subject: 'sub-a', accountId: first, scope: 'openid' });
      await partners().link({ partnerId: partner.id, subject: 'sub-a', accountId: first, scope: 'openid email' });
      await partners().link({ partnerId: partner.id, subject: 'sub-b', accountId: second, scope: 'openid' });
      await partners().link({ partnerId: other.id, subject: 'sub-c', accountId: first, scope: 'openid' });
      expect(await partners().countMembers(partner.id)).toBe(2);
      expect(await partners().countMembers(other.id)).toBe(1);
    });

    it('links a member to a partner under its subject, and refreshes the scope on a new sign-in', async () => {
      const partner = await partners().create({ name: 'Shoes' });
      const accountId = randomUUID();
      await partners().link({ partnerId: partner.id, subject: 'sub-1', accountId, scope: 'openid email' });
      const first = await partners().findLink(partner.id, 'sub-1');
      expect(first).toMatchObject({ partnerId: partner.id, subject: 'sub-1', accountId, scope: 'openid email' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await partners().link({ partnerId: partner.id, subject: 'sub-1', accountId, scope: 'openid email loyalty' });
      const again = await partners().findLink(partner.id, 'sub-1');
      expect(again?.scope).toBe('openid email loyalty');
      expect(again?.linkedAt.getTime()).toBe(first?.linkedAt.getTime());
      expect(again!.updatedAt.getTime()).toBeGreaterThan(first!.updatedAt.getTime());
    });

    it('keeps partners apart: a subject of one partner is unknown to another', async () => {
      const a = await partners().create({ name: 'A' });
      const b = await partners().create({ name: 'B' });
      await partners().link({ partnerId: a.id, subject: 'shared-looking-sub', accountId: randomUUID(), scope: 'openid' });
      expect(await partners().findLink(b.id, 'shared-looking-sub')).toBeUndefined();
      expect(await partners().findLink(a.id, 'other')).toBeUndefined();
    });

    it('concurrent links of one member leave one link', async () => {
      const partner = await partners().create({ name: 'Race' });
      const accountId = randomUUID();
      await Promise.all(Array.from({ length: 6 }, (_, i) => partners().link({ partnerId: partner.id, subject: 's', accountId, scope: `openid s${i}` })));
      const link = await partners().findLink(partner.id, 's');
      expect(link?.accountId).toBe(accountId);
      expect(link?.scope).toMatch(/^openid s[0-5]$/);
    });
  });
}
