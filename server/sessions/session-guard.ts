// Persistent sessions with hijack checks: binds each sign-in to the browser's device cookie and place, ends a
// session whose cookie comes back from another device or from a place nobody could have travelled to since
// (a copied cookie), and gives sessions a lifetime from their sign-in: long on a known device, short otherwise.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import type { DevicesRepository } from '../domain/devices/devices.repository.ts';
import type { DeviceCookie } from '../security/device-cookie.ts';
import type { GeoLookup } from '../security/geo/geo.ts';
import { userAgentOf } from '../middleware/request-scope.ts';
import type { RiskFacts } from '../security/risk/risk.ts';
import { isImpossibleTravel } from '../security/risk/rules/impossible-travel.ts';
import type { SessionBinding, SessionBindings } from './session-bindings.ts';

/** Last-seen fields are rewritten at most this often (or when the address changes): not on every request. */
const TOUCH_INTERVAL_MS = 5 * 60_000;
/** oidc-provider's resume endpoint, where a finished sign-in becomes a session. */
const RESUME_PATH = /^\/auth\/([A-Za-z0-9_-]{1,64})\/?$/;
const SKIPPED_PATHS = /^\/static\//i;

export interface SessionGuardDeps {
  bindings: SessionBindings;
  deviceCookie: DeviceCookie;
  devices: Pick<DevicesRepository, 'find'>;
  geo: GeoLookup;
  places: RiskFacts['geo'];
  /** Ends one session of the account and tells its partners (back-channel logout). */
  endSession(accountId: string, sessionId: string): Promise<void>;
  audit: Pick<AuditLog, 'record'>;
  ttl: { knownDeviceSeconds: number; otherSeconds: number };
}

interface SessionLike {
  jti: string;
  uid: string;
  accountId?: string | undefined;
  loginTs?: number | undefined;
  exp?: number | undefined;
  destroyed?: boolean;
  /** A kiosk's sign-in (remember: false): a browser-session cookie on a shared device, ended with its flow. */
  transient?: boolean | undefined;
}

interface GuardState {
  /** The binding of the session this request presented (checked), or made at its end. */
  sessionBinding?: SessionBinding;
  /** On the resume endpoint: whether the device signing in had signed in to that account before. */
  signInOnKnownDevice?: { accountId: string; known: boolean };
}

export type HijackReason = 'device_mismatch' | 'impossible_travel';

export class SessionGuard {
  private readonly deps: SessionGuardDeps;
  private provider: Provider | undefined;

  constructor(deps: SessionGuardDeps) {
    this.deps = deps;
  }

  /** The provider's configuration holds ttlFor, so the provider is made first and attached afterwards. */
  attach(provider: Provider): void {
    this.provider = provider;
  }

  private requireProvider(): Provider {
    if (!this.provider) throw new Error('session guard used before the provider was attached');
    return this.provider;
  }

  /**
   * oidc-provider's ttl.Session: the time left of the sign-in's lifetime, counted from the sign-in (not from
   * the last use), so activity never stretches a session past SESSION_TTL_KNOWN_DEVICE_DAYS / _OTHER_HOURS.
   */
  ttlFor(ctx: Context, session: SessionLike): number {
    const now = Math.floor(Date.now() / 1000);
    if (!session.accountId || !session.loginTs) return this.deps.ttl.otherSeconds;
    const state = ctx.state as GuardState;
    const bound = state.sessionBinding;
    let known = false;
    if (bound && bound.accountId === session.accountId && bound.loginTs === session.loginTs) known = bound.knownDevice;
    else if (state.signInOnKnownDevice?.accountId === session.accountId) known = state.signInOnKnownDevice.known;
    const lifetime = known ? this.deps.ttl.knownDeviceSeconds : this.deps.ttl.otherSeconds;
    return Math.max(1, session.loginTs + lifetime - now);
  }

  middleware(): Middleware {
    const cookieName = this.requireProvider().cookieName('session');
    return async (ctx, next) => {
      if (SKIPPED_PATHS.test(ctx.path)) return next();
      const sessionId = ctx.cookies.get(cookieName, { signed: true });
      if (sessionId) await this.check(ctx, sessionId);
      if (ctx.method === 'GET' && RESUME_PATH.test(ctx.path)) await this.noteSignInDevice(ctx);
      await next();
      await this.bindNewSignIn(ctx);
    };
  }

  private deviceHash(ctx: Context): string | null {
    const id = this.deps.deviceCookie.read(ctx);
    return id ? this.deps.deviceCookie.hash(id) : null;
  }

  private place(ctx: Context): { ip: string; country: string | null } {
    const ip = String(ctx.state.clientIp ?? ctx.ip);
    return { ip, country: this.deps.geo.country(ip) ?? null };
  }

  /** The presented session, if signed in: ended when its cookie is used from elsewhere, else its last use noted. */
  private async check(ctx: Context, sessionId: string): Promise<void> {
    const session = (await this.requireProvider().Session.find(sessionId)) as SessionLike | undefined;
    // A kiosk's session is not bound (see bindNewSignIn): it lives minutes and dies with its flow.
    if (!session?.accountId || !session.loginTs || session.transient) return;
    const now = Date.now();
    const deviceHash = this.deviceHash(ctx);
    const { ip, country } = this.place(ctx);
    const userAgent = userAgentOf(ctx.get('user-agent'));
    const binding = await this.deps.bindings.find(session.uid);
    if (!binding || binding.accountId !== session.accountId || binding.loginTs !== session.loginTs) {
      // A sign-in that was never bound (made before this guard existed, or its binding write failed): bound on
      // first use, as the member's own browser is by far the likeliest first to come back.
      const fresh: SessionBinding = {
        accountId: session.accountId, sessionUid: session.uid, loginTs: session.loginTs, deviceHash, knownDevice: true,
        createdAt: now, lastSeenAt: now, lastIp: ip, lastCountry: country, userAgent,
      };
      await this.deps.bindings.save(fresh, this.secondsLeft(session, now));
      (ctx.state as GuardState).sessionBinding = fresh;
      return;
    }
    let reason: HijackReason | undefined;
    if (binding.deviceHash !== deviceHash) reason = 'device_mismatch';
    else if (country && binding.lastCountry && isImpossibleTravel(this.deps.places, { country: binding.lastCountry, at: new Date(binding.lastSeenAt) }, { country, at: new Date(now) })) {
      reason = 'impossible_travel';
    }
    if (reason) {
      // The cookie is presented as a bearer: whoever holds it is made to sign in again, the owner included.
      await this.deps.endSession(session.accountId, session.jti);
      await this.deps.bindings.delete(session.uid);
      await this.deps.audit.record({
        type: 'session.hijack_suspected', accountId: session.accountId, ip, userAgent, country, reason,
        details: { bound_country: binding.lastCountry, bound_at: new Date(binding.lastSeenAt).toISOString() },
      });
      return;
    }
    (ctx.state as GuardState).sessionBinding = binding;
    if (now - binding.lastSeenAt >= TOUCH_INTERVAL_MS || ip !== binding.lastIp || (country !== null && country !== binding.lastCountry)) {
      const touched: SessionBinding = { ...binding, lastSeenAt: now, lastIp: ip, lastCountry: country ?? binding.lastCountry, userAgent: userAgent ?? binding.userAgent };
      await this.deps.bindings.save(touched, this.secondsLeft(session, now));
      (ctx.state as GuardState).sessionBinding = touched;
    }
  }

  /**
   * Before the resume endpoint makes the session: whether this device had signed in to the account before the
   * sign-in began (the sign-in itself records the device, so "seen before the interaction started" is the test).
   */
  private async noteSignInDevice(ctx: Context): Promise<void> {
    const uid = RESUME_PATH.exec(ctx.path)?.[1];
    const deviceHash = this.deviceHash(ctx);
    if (!uid || !deviceHash) return;
    const interaction = await this.requireProvider().Interaction.find(uid);
    const accountId = interaction?.result?.login?.accountId;
    if (!interaction || typeof accountId !== 'string') return;
    const device = await this.deps.devices.find(accountId, deviceHash);
    const known = device !== undefined && device.firstSeenAt.getTime() < (interaction.iat ?? 0) * 1000;
    (ctx.state as GuardState).signInOnKnownDevice = { accountId, known };
  }

  /** After oidc-provider saved a session holding a sign-in this guard has not bound yet: bind it to this browser. */
  private async bindNewSignIn(ctx: Context): Promise<void> {
    const session = (ctx as Context & { oidc?: { session?: SessionLike } }).oidc?.session;
    if (!session || session.destroyed || !session.accountId || !session.loginTs) return;
    // Not a kiosk's sign-in: the shared device is nobody's, so it gets no device cookie to bind (kiosk mode
    // never sets one) and the session is ended with the kiosk flow or after KIOSK_IDLE_SECONDS anyway.
    if (session.transient) return;
    const state = ctx.state as GuardState;
    const bound = state.sessionBinding;
    if (bound && bound.sessionUid === session.uid && bound.accountId === session.accountId && bound.loginTs === session.loginTs) return;
    const now = Date.now();
    const { ip, country } = this.place(ctx);
    const binding: SessionBinding = {
      accountId: session.accountId, sessionUid: session.uid, loginTs: session.loginTs,
      deviceHash: this.deps.deviceCookie.hash(this.deps.deviceCookie.ensure(ctx)),
      knownDevice: state.signInOnKnownDevice?.accountId === session.accountId && state.signInOnKnownDevice.known,
      createdAt: now, lastSeenAt: now, lastIp: ip, lastCountry: country, userAgent: userAgentOf(ctx.get('user-agent')),
    };
    await this.deps.bindings.save(binding, this.secondsLeft(session, now));
    state.sessionBinding = binding;
  }

  private secondsLeft(session: SessionLike, now: number): number {
    return session.exp ? session.exp - Math.floor(now / 1000) : this.deps.ttl.knownDeviceSeconds;
  }
}
