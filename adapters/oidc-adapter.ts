// The oidc-provider Adapter over our ports: clients come from the clients repository, every other
// model from the OidcStore of the active storage adapter.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientMetadata, ClientsRepository } from '../server/domain/clients/clients.repository.ts';
import type { OidcStore } from '../server/domain/oidc/oidc-store.repository.ts';

export type AdapterConstructor = new (name: string) => Adapter;

export function createOidcAdapter(store: OidcStore, clients: ClientsRepository): AdapterConstructor {
  class ClientAdapter implements Adapter {
    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      await clients.upsert({ ...(payload as Record<string, unknown>), client_id: id } as ClientMetadata);
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      return (await clients.find(id))?.metadata as AdapterPayload | undefined;
    }
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }
    async findByUid(): Promise<undefined> {
      return undefined;
    }
    async consume(): Promise<void> {}
    async destroy(id: string): Promise<void> {
      await clients.delete(id);
    }
    async revokeByGrantId(): Promise<void> {}
  }

  class ModelAdapter implements Adapter {
    private readonly model: string;

    constructor(model: string) {
      this.model = model;
    }
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      return store.upsert(this.model, id, payload as Record<string, unknown>, expiresIn || undefined);
    }
    find(id: string): Promise<AdapterPayload | undefined> {
      return store.find(this.model, id) as Promise<AdapterPayload | undefined>;
    }
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return store.findByUserCode(this.model, userCode) as Promise<AdapterPayload | undefined>;
    }
    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return store.findByUid(this.model, uid) as Promise<AdapterPayload | undefined>;
    }
    consume(id: string): Promise<void> {
      return store.consume(this.model, id);
    }
    destroy(id: string): Promise<void> {
      return store.destroy(this.model, id);
    }
    revokeByGrantId(grantId: string): Promise<void> {
      return store.revokeByGrantId(this.model, grantId);
    }
  }

  return class OidcAdapter {
    constructor(name: string) {
      return name === 'Client' ? new ClientAdapter() : new ModelAdapter(name);
    }
  } as unknown as AdapterConstructor;
}
