// Where each signed-in session was made and last used: the device cookie it is bound to, its browser, place
// and times. Kept in the oidc-provider store as its own model ('SessionBinding', keyed by the session's
// stable uid), so both adapters hold it without a new table and the expiry sweep removes it.
import type { OidcStore } from '../domain/oidc/oidc-store.repository.ts';

const MODEL = 'SessionBinding';

export interface SessionBinding {
  accountId: string;
  /** The session's uid (stable across the id rotations of sign-ins and step-ups). */
  sessionUid: string;
  /** loginTs of the sign-in the binding was made at: a later sign-in on the session makes a new binding. */
  loginTs: number;
  /** HMAC of the device cookie the sign-in came with (null: the browser had none). */
  deviceHash: string | null;
  /** The device had signed in to this account before this sign-in (the longer session lifetime). */
  knownDevice: boolean;
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  lastIp: string | null;
  lastCountry: string | null;
  userAgent: string | null;
}

function isBinding(payload: Record<string, unknown> | undefined): payload is Record<string, unknown> & SessionBinding {
  return typeof payload?.accountId === 'string' && typeof payload.sessionUid === 'string' && typeof payload.loginTs === 'number';
}

export class SessionBindings {
  private readonly store: OidcStore;

  constructor(store: OidcStore) {
    this.store = store;
  }

  async find(sessionUid: string): Promise<SessionBinding | undefined> {
    const payload = await this.store.find(MODEL, sessionUid);
    return isBinding(payload) ? payload : undefined;
  }

  /** Stored as long as the session may live (`ttlSeconds`), so it never outlives it by much. */
  async save(binding: SessionBinding, ttlSeconds: number): Promise<void> {
    await this.store.upsert(MODEL, binding.sessionUid, { ...binding }, Math.max(1, Math.ceil(ttlSeconds)));
  }

  async listByAccount(accountId: string): Promise<SessionBinding[]> {
    return (await this.store.findByAccountId(MODEL, accountId)).map((row) => row.payload).filter(isBinding);
  }

  async delete(sessionUid: string): Promise<void> {
    await this.store.destroy(MODEL, sessionUid);
  }
}
