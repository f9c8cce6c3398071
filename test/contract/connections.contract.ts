// Contract: ConnectionsRepository — upstream identity providers, their settings round-tripping exactly (dotted keys included).
import { randomUUID } from 'node:crypto';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeConnectionsContract(open: OpenStorage): void {
  describe('connections', () => {
    const storage = useStorage(open);
    const connections = () => storage().connections;
    const settings = { issuer: 'https://idp.example', client_id: 'ours', scopes: ['openid'], claim_mapping: { 'address.postal_code': 'zip' }, nested: { $odd: 1, list: [1, 'two'] } };

    it('creates, finds, updates and deletes a connection; settings round-trip as given', async () => {
      const id = randomUUID();
      const created = await connections().create({ id, kind: 'oidc', name: 'Partner SSO', settings });
      expect(created).toMatchObject({ id, kind: 'oidc', name: 'Partner SSO', settings });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await connections().find(id)).toEqual(created);
      expect(await connections().find(randomUUID())).toBeUndefined();

      const updated = await connections().update(id, { name: 'Renamed', settings: { ...settings, domains: ['partner.example'] } });
      expect(updated).toMatchObject({ id, kind: 'oidc', name: 'Renamed', settings: { ...settings, domains: ['partner.example'] } });
      expect(updated!.createdAt).toEqual(created.createdAt);
      expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      expect(await connections().find(id)).toEqual(updated);
      expect(await connections().update(randomUUID(), { name: 'x', settings: {} })).toBeUndefined();

      expect(await connections().delete(id)).toBe(true);
      expect(await connections().delete(id)).toBe(false);
      expect(await connections().find(id)).toBeUndefined();
    });

    it('refuses a second connection with the same id', async () => {
      const id = randomUUID();
      await connections().create({ id, kind: 'oidc', name: 'A', settings: {} });
      await expect(connections().create({ id, kind: 'oidc', name: 'B', settings: {} })).rejects.toThrow();
      expect((await connections().find(id))!.name).toBe('A');
    });

    it('lists connections oldest first, a page at a time', async () => {
      const ids: string[] = [];
      for (const name of ['c1', 'c2', 'c3']) {
        ids.push((await connections().create({ id: randomUUID(), kind: 'oidc', name, settings: {} })).id);
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await connections().list(after === undefined ? { limit: 2 } : { limit: 2, after });
        seen.push(...page.map((connection) => connection.id));
        if (page.length < 2) break;
        after = page.at(-1)!.id;
      }
      expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
      expect(new Set(seen).size).toBe(seen.length);
    });
  });
}
