// Contract: ClientsRepository (create, duplicate, replace, upsert, paging, delete) and its lookup cache.
import type { ClientMetadata } from '../../server/domain/clients/clients.repository.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { expectDomainError, sleep, uniqueId, useStorage, type OpenStorage, type OpenStoragePair } from './harness.ts';

function metadata(clientId: string, extra: Record<string, unknown> = {}): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: 'secret',
    redirect_uris: ['https://partner.example/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...extra,
  };
}

/** One fresh location: `sealed()` opens it as the server does (with the key), `keyless()` shows what is at rest. */
export type OpenClientStores = () => { sealed(): Promise<Storage>; keyless(): Promise<Storage> };

export function describeClientsContract(open: OpenStorage, openPair: OpenStoragePair, clientStores: OpenClientStores): void {
  describe('clients', () => {
    const storage = useStorage(open);

    it('creates a client and finds it with its metadata intact', async () => {
      const clientId = uniqueId('client');
      const meta = metadata(clientId, {
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def' }] },
        'urn:example:partner.tier': 'gold',
        $note: 'dollar',
        client_name: 'Café Ünïcode 😀',
        default_max_age: 3600,
        require_auth_time: true,
        logo_uri: null,
      });
      const created = await storage().clients.create(meta);
      expect(created.clientId).toBe(clientId);
      expect(created.metadata).toEqual(meta);
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await storage().clients.find(clientId)).toEqual(created);
    });

    it('rejects a second create with the same client_id as a duplicate', async () => {
      const clientId = uniqueId('client');
      await storage().clients.create(metadata(clientId));
      await expectDomainError(storage().clients.create(metadata(clientId, { client_name: 'other' })), 'duplicate');
      expect((await storage().clients.find(clientId))?.metadata.client_name).toBeUndefined();
    });

    it('returns undefined for an unknown client', async () => {
      expect(await storage().clients.find(uniqueId('missing'))).toBeUndefined();
    });

    it('replaces the metadata of an existing client and keeps createdAt', async () => {
      const clientId = uniqueId('client');
      const created = await storage().clients.create(metadata(clientId, { client_name: 'before' }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const next = { client_id: clientId, client_name: 'after', redirect_uris: ['https://new.example/cb'] };
      const replaced = await storage().clients.replace(next);
      expect(replaced?.metadata).toEqual(next);
      expect(replaced?.createdAt.getTime()).toBe(created.createdAt.getTime());
      expect(replaced?.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(await storage().clients.find(clientId)).toEqual(replaced);
    });

    it('does not create a client on replace of an unknown id', async () => {
      const clientId = uniqueId('client');
      expect(await storage().clients.replace(metadata(clientId))).toBeUndefined();
      expect(await storage().clients.find(clientId)).toBeUndefined();
    });

    it('upserts: inserts when absent, replaces when present (createdAt kept)', async () => {
      const clientId = uniqueId('client');
      const inserted = await storage().clients.upsert(metadata(clientId, { scope: 'admin' }));
      expect(inserted.metadata).toEqual(metadata(clientId, { scope: 'admin' }));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const replaced = await storage().clients.upsert({ client_id: clientId, scope: 'openid' });
      expect(replaced.metadata).toEqual({ client_id: clientId, scope: 'openid' });
      expect(replaced.createdAt.getTime()).toBe(inserted.createdAt.getTime());
      expect(replaced.updatedAt.getTime()).toBeGreaterThan(inserted.updatedAt.getTime());
      expect(await storage().clients.find(clientId)).toEqual(replaced);
    });

    it('survives concurrent upserts of the same new client', async () => {
      const clientId = uniqueId('client');
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => storage().clients.upsert(metadata(clientId, { n: i }))));
      expect(new Set(results.map((r) => r.createdAt.getTime())).size).toBe(1);
      expect(await storage().clients.find(clientId)).toBeDefined();
    });

    it('sees every write through the repository on the very next find (no stale read after a find)', async () => {
      const clientId = uniqueId('client');
      const secret = async () => (await storage().clients.find(clientId))?.metadata.client_secret;
      await storage().clients.create(metadata(clientId, { client_secret: 'one' }));
      expect(await secret()).toBe('one');
      await storage().clients.replace(metadata(clientId, { client_secret: 'two' }));
      expect(await secret()).toBe('two');
      await storage().clients.upsert(metadata(clientId, { client_secret: 'three' }));
      expect(await secret()).toBe('three');
      await storage().clients.delete(clientId);
      expect(await secret()).toBeUndefined();
      await storage().clients.create(metadata(clientId, { client_secret: 'four' }));
      expect(await secret()).toBe('four');
    });

    it('lists clients ordered by clientId, page by page', async () => {
      const prefix = uniqueId('page');
      const ids = ['e', 'a', 'd', 'b', 'c'].map((suffix) => `${prefix}-${suffix}`);
      for (const id of ids) await storage().clients.create(metadata(id));

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await storage().clients.list(after === undefined ? { limit: 2 } : { limit: 2, after });
        expect(page.length).toBeLessThanOrEqual(2);
        if (page.length === 0) break;
        seen.push(...page.map((client) => client.clientId));
        after = page[page.length - 1]?.clientId;
      }
      const sorted = [...seen].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      expect(seen).toEqual(sorted);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => id.startsWith(prefix))).toEqual([...ids].sort());

      const fromB = await storage().clients.list({ limit: 2, after: `${prefix}-b` });
      expect(fromB.map((client) => client.clientId)).toEqual([`${prefix}-c`, `${prefix}-d`]);
      expect(fromB[0]?.metadata).toEqual(metadata(`${prefix}-c`));
    });

    it('deletes a client and reports whether it existed', async () => {
      const clientId = uniqueId('client');
      await storage().clients.create(metadata(clientId));
      expect(await storage().clients.delete(clientId)).toBe(true);
      expect(await storage().clients.delete(clientId)).toBe(false);
      expect(await storage().clients.find(clientId)).toBeUndefined();
      // The id is free again.
      await expect(storage().clients.create(metadata(clientId))).resolves.toMatchObject({ clientId });
    });
  });

  // Two stores on one location stand for two processes: each caches found clients for about a second.
  describe('clients: lookup cache', () => {
    let first: Storage;
    let second: Storage;
    beforeEach(async () => {
      [first, second] = await openPair();
    });
    afterEach(async () => {
      await first.close();
      await second.close();
    });

    it('never caches a miss: a client created by another process is found at once', async () => {
      const clientId = uniqueId('client');
      expect(await first.clients.find(clientId)).toBeUndefined();
      await second.clients.create(metadata(clientId, { client_secret: 'one' }));
      expect((await first.clients.find(clientId))?.metadata.client_secret).toBe('one');
    });

    it("sees another process's rotation and deletion within about a second, and its own at once", async () => {
      const clientId = uniqueId('client');
      await second.clients.create(metadata(clientId, { client_secret: 'one' }));
      expect((await first.clients.find(clientId))?.metadata.client_secret).toBe('one');
      await second.clients.replace(metadata(clientId, { client_secret: 'two' }));
      await sleep(1100);
      expect((await first.clients.find(clientId))?.metadata.client_secret).toBe('two');
      await first.clients.replace(metadata(clientId, { client_secret: 'three' }));
      expect((await first.clients.find(clientId))?.metadata.client_secret).toBe('three');
      await second.clients.delete(clientId);
      await sleep(1100);
      expect(await first.clients.find(clientId)).toBeUndefined();
    });

    it('does not keep what a lookup read while a write of the same client was under way', async () => {
      const clientId = uniqueId('client');
      await first.clients.create(metadata(clientId, { client_secret: 'one' }));
      const racing = first.clients.find(clientId);
      await first.clients.replace(metadata(clientId, { client_secret: 'two' }));
      await racing;
      expect((await first.clients.find(clientId))?.metadata.client_secret).toBe('two');
    });

    it('hands every caller the same frozen metadata, which none can alter', async () => {
      const clientId = uniqueId('client');
      await first.clients.create(metadata(clientId));
      const found = await first.clients.find(clientId);
      expect(await first.clients.find(clientId)).toBe(found);
      expect(() => (found?.metadata.redirect_uris as string[]).push('https://evil.example/cb')).toThrow(TypeError);
      expect(() => { (found!.metadata as Record<string, unknown>).client_secret = 'mine'; }).toThrow(TypeError);
      expect((await first.clients.find(clientId))?.metadata).toEqual(metadata(clientId));
    });
  });

  // A copy of the store (backup, stolen file, read-only user) must not hand out working client credentials.
  describe('clients: secrets sealed at rest', () => {
    const opened: Storage[] = [];
    const track = async (storage: Promise<Storage>) => {
      const store = await storage;
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('stores no clear secret on create, replace or upsert, and gives the clear secret back to the server', async () => {
      const location = clientStores();
      const sealed = await track(location.sealed());
      const clientId = uniqueId('client');
      const written: string[] = [];
      for (const [write, secret] of [['create', 'first-secret-0123'], ['replace', 'second-secret-4567'], ['upsert', 'third-secret-89ab']] as const) {
        written.push(secret);
        await sealed.clients[write](metadata(clientId, { client_secret: secret }));
        expect((await sealed.clients.find(clientId))?.metadata.client_secret).toBe(secret);
        const raw = (await (await track(location.keyless())).clients.find(clientId))!.metadata;
        expect(raw).not.toHaveProperty('client_secret');
        expect(raw.client_secret_sealed).toEqual(expect.any(String));
        for (const clear of written) expect(JSON.stringify(raw)).not.toContain(clear);
        expect(raw.redirect_uris).toEqual(['https://partner.example/cb']);
      }
      expect((await sealed.clients.list({ limit: 100 })).find((client) => client.clientId === clientId)?.metadata.client_secret).toBe('third-secret-89ab');
    });

    it('a sealed secret copied onto another client does not open', async () => {
      const location = clientStores();
      const sealed = await track(location.sealed());
      const keyless = await track(location.keyless());
      const [victim, thief] = [uniqueId('victim'), uniqueId('thief')];
      await sealed.clients.create(metadata(victim, { client_secret: 'victim-secret-0123' }));
      const stolen = (await keyless.clients.find(victim))!.metadata.client_secret_sealed;
      await keyless.clients.create({ client_id: thief, token_endpoint_auth_method: 'client_secret_basic', client_secret_sealed: stolen });
      await expect(sealed.clients.find(thief)).rejects.toThrow();
    });

    it('reads a secret an older version stored in clear, and seals it when the store is next opened', async () => {
      const location = clientStores();
      const clientId = uniqueId('legacy');
      await (await track(location.keyless())).clients.create(metadata(clientId, { client_secret: 'legacy-secret-0123' }));
      const sealed = await track(location.sealed());
      expect((await sealed.clients.find(clientId))?.metadata.client_secret).toBe('legacy-secret-0123');
      const raw = (await (await track(location.keyless())).clients.find(clientId))!.metadata;
      expect(raw).not.toHaveProperty('client_secret');
      expect(JSON.stringify(raw)).not.toContain('legacy-secret-0123');
      // A client without a secret stays without one.
      const publicId = uniqueId('public');
      await sealed.clients.create({ client_id: publicId, token_endpoint_auth_method: 'none' });
      expect((await (await track(location.keyless())).clients.find(publicId))?.metadata).toEqual({ client_id: publicId, token_endpoint_auth_method: 'none' });
    });
  });
}
