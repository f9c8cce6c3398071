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

export function describeFederatedIdentitiesContract(open: OpenStorage): void {
  describe('federated identities', () => {
    const storage = useStorage(open);
    const links = () => storage().federatedIdentities;

    it('links a (connection, subject) pair once: a second link, to any account, is taken', async () => {
      const connectionId = randomUUID();
      expect(await links().link({ connectionId, subject: 'sub-1', accountId: 'acc-a' })).toBe('linked');
      expect(await links().link({ connectionId, subject: 'sub-1', accountId: 'acc-b' })).toBe('taken');
      expect(await links().link({ connectionId, subject: 'sub-1', accountId: 'acc-a' })).toBe('taken');
      expect(await links().find(connectionId, 'sub-1')).toMatchObject({ connectionId, subject: 'sub-1', accountId: 'acc-a' });
      expect(await links().find(connectionId, 'sub-2')).toBeUndefined();
      // The same subject at another connection is another identity.
      expect(await links().link({ connectionId: randomUUID(), subject: 'sub-1', accountId: 'acc-b' })).toBe('linked');
    });

    it('concurrent links of one pair leave exactly one', async () => {
      const connectionId = randomUUID();
      const results = await Promise.all(['x', 'y', 'z'].map((accountId) => links().link({ connectionId, subject: 'race', accountId })));
      expect(results.filter((result) => result === 'linked')).toHaveLength(1);
    });

    it('lists an account\'s links and unlinks only its own', async () => {
      const accountId = randomUUID();
      const [a, b] = [randomUUID(), randomUUID()];
      await links().link({ connectionId: a, subject: 's', accountId });
      await new Promise((resolve) => setTimeout(resolve, 3));
      await links().link({ connectionId: b, subject: 's', accountId });
      expect((await links().listByAccount(accountId)).map((link) => link.connectionId)).toEqual([a, b]);
      expect(await links().unlink('someone-else', a, 's')).toBe(false);
      expect(await links().unlink(accountId, a, 's')).toBe(true);
      expect(await links().unlink(accountId, a, 's')).toBe(false);
      expect((await links().listByAccount(accountId)).map((link) => link.connectionId)).toEqual([b]);
    });
  });
}
