// A member's own view of where they are signed in: their live sessions (with the browser and place of their
// binding) and their known devices, and ending one session or forgetting one device, which also revokes the
// tokens of that session's partner grants and tells those partners by back channel.
import type { DevicesRepository, KnownDevice } from '../domain/devices/devices.repository.ts';
import type { OidcPayload, OidcStore } from '../domain/oidc/oidc-store.repository.ts';
import type { SessionEndNotifier } from '../domain/oidc/session-end-notifier.ts';
import type { SessionBinding, SessionBindings } from './session-bindings.ts';

/** The token models a grant's tokens live in: all go when the session that holds the grant is ended here. */
const GRANT_TOKEN_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'] as const;
/** oidc-provider models that belong to an account and all end when its credentials change. */
const ACCOUNT_BOUND_MODELS = ['Session', 'Grant'] as const;
const MAX_DEVICES = 50;

export interface MemberSession {
  /** The session's uid: safe to show (the cookie carries the id, which never leaves the server here). */
  uid: string;
  /** This browser's session. */
  current: boolean;
  /** Epoch milliseconds. */
  signedInAt: number;
  lastSeenAt: number | null;
  country: string | null;
  userAgent: string | null;
  /** How many partner sites and apps this session signed in to. */
  partners: number;
}

export interface MemberDevice extends KnownDevice {
  current: boolean;
}

export interface MemberSessionsDeps {
  oidc: OidcStore;
  bindings: SessionBindings;
  devices: DevicesRepository;
  sessionEnds: SessionEndNotifier;
}

interface StoredSession {
  id: string;
  payload: OidcPayload;
}

function uidOf(session: StoredSession): string {
  return typeof session.payload.uid === 'string' ? session.payload.uid : '';
}

export class MemberSessions {
  private readonly deps: MemberSessionsDeps;

  constructor(deps: MemberSessionsDeps) {
    this.deps = deps;
  }

  /** Live sessions, this one first, then by the latest use. */
  async sessions(accountId: string, currentSessionId: string): Promise<MemberSession[]> {
    const [sessions, bindings] = await Promise.all([this.deps.oidc.findByAccountId('Session', accountId), this.deps.bindings.listByAccount(accountId)]);
    const byUid = new Map<string, SessionBinding>(bindings.map((binding) => [binding.sessionUid, binding]));
    return sessions
      .map((session): MemberSession => {
        const binding = byUid.get(uidOf(session));
        const loginTs = typeof session.payload.loginTs === 'number' ? session.payload.loginTs * 1000 : 0;
        return {
          uid: uidOf(session),
          current: session.id === currentSessionId,
          signedInAt: loginTs,
          lastSeenAt: binding?.lastSeenAt ?? null,
          country: binding?.lastCountry ?? null,
          userAgent: binding?.userAgent ?? null,
          partners: Object.keys((session.payload.authorizations ?? {}) as Record<string, unknown>).length,
        };
      })
      .filter((session) => session.uid !== '')
      .sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeenAt ?? b.signedInAt) - (a.lastSeenAt ?? a.signedInAt));
  }

  async devices(accountId: string, currentDeviceHash: string | null): Promise<MemberDevice[]> {
    const devices = await this.deps.devices.listByAccount(accountId, MAX_DEVICES);
    return devices.map((device) => ({ ...device, current: device.deviceHash === currentDeviceHash }));
  }

  /** Ends the member's session `uid` (never another member's: it is looked up among theirs); false when none. */
  async endSession(accountId: string, uid: string): Promise<boolean> {
    const session = (await this.deps.oidc.findByAccountId('Session', accountId)).find((candidate) => uidOf(candidate) === uid);
    if (!session) return false;
    await this.end(accountId, [session]);
    return true;
  }

  /** Ends the session with this id (the cookie's) if it is the account's, and tells its partners. */
  async endById(accountId: string, sessionId: string): Promise<void> {
    const session = (await this.deps.oidc.findByAccountId('Session', accountId)).find((candidate) => candidate.id === sessionId);
    if (!session) return;
    await this.deps.oidc.destroy('Session', sessionId, { durable: true });
    this.deps.sessionEnds.sessionsEnded(accountId, [session.payload]);
  }

  /** Ends every session of the account but the caller's own (after a factor change); returns how many. */
  async endOthers(accountId: string, currentSessionId: string): Promise<number> {
    const others = (await this.deps.oidc.findByAccountId('Session', accountId)).filter((session) => session.id !== currentSessionId);
    const ended = await this.deps.oidc.destroyByAccountId('Session', accountId, currentSessionId);
    this.deps.sessionEnds.sessionsEnded(accountId, others.map((session) => session.payload));
    return ended;
  }

  /** Ends every session and grant of the account (a password reset or change, staff, an email change). */
  async endAll(accountId: string): Promise<void> {
    // Read before the delete, to know whom to tell: a session begun in between is ended untold, which
    // only leaves that partner's own session to expire by itself.
    const sessions = await this.deps.oidc.findByAccountId('Session', accountId);
    for (const model of ACCOUNT_BOUND_MODELS) {
      await this.deps.oidc.destroyByAccountId(model, accountId);
    }
    this.deps.sessionEnds.sessionsEnded(accountId, sessions.map((session) => session.payload));
  }

  /**
   * Forgets the device: it no longer counts as known (the next sign-in on it is a new device's), every session
   * bound to it ends, and the tokens of those sessions' grants are revoked. False when the member has no such device.
   */
  async forgetDevice(accountId: string, deviceHash: string): Promise<boolean> {
    const existed = await this.deps.devices.delete(accountId, deviceHash);
    if (!existed) return false;
    const bound = new Set((await this.deps.bindings.listByAccount(accountId)).filter((binding) => binding.deviceHash === deviceHash).map((binding) => binding.sessionUid));
    const sessions = (await this.deps.oidc.findByAccountId('Session', accountId)).filter((session) => bound.has(uidOf(session)));
    await this.end(accountId, sessions);
    return true;
  }

  private async end(accountId: string, sessions: StoredSession[]): Promise<void> {
    for (const session of sessions) {
      // Ended by hand: an OS crash must not bring it back (the store's default for sessions is not durable).
      await this.deps.oidc.destroy('Session', session.id, { durable: true });
      await this.deps.bindings.delete(uidOf(session));
      // A session's grants are its own (one per partner it signed in to, see config/first-party-grant.ts):
      // revoking them takes the refresh tokens an app on that device holds.
      const authorizations = (session.payload.authorizations ?? {}) as Record<string, { grantId?: unknown } | undefined>;
      for (const authorization of Object.values(authorizations)) {
        const grantId = authorization?.grantId;
        if (typeof grantId !== 'string') continue;
        for (const model of GRANT_TOKEN_MODELS) await this.deps.oidc.revokeByGrantId(model, grantId);
        await this.deps.oidc.destroy('Grant', grantId);
      }
    }
    this.deps.sessionEnds.sessionsEnded(accountId, sessions.map((session) => session.payload));
  }
}
