// A long-lived random id per browser, the "device" of the known-device risk signal and of sign-up
// velocity. Only an HMAC of it is stored, so a copy of the store gives nobody a usable cookie.
import { createHmac, randomBytes } from 'node:crypto';
import type { Context, Middleware } from 'koa';

const ID = /^[A-Za-z0-9_-]{22}$/;
const MAX_AGE_MS = 400 * 24 * 60 * 60 * 1000;

/** Marks the stand-in device id of a shared kiosk (never a cookie's HMAC: those are plain base64url). */
const SHARED_DEVICE = 'shared:';

/**
 * A device id for one request on a shared kiosk: never seen before, so the kiosk is always a new device to
 * the risk rules and never one the lockout exempts, and never recorded as an account's device.
 */
export function sharedDeviceHash(): string {
  return `${SHARED_DEVICE}${randomBytes(16).toString('base64url')}`;
}

export function isSharedDevice(deviceHash: string): boolean {
  return deviceHash.startsWith(SHARED_DEVICE);
}

export class DeviceCookie {
  private readonly key: Buffer;
  private readonly secure: boolean;

  constructor(key: Buffer, secure: boolean) {
    this.key = key;
    this.secure = secure;
  }

  /** __Host-: no Domain, Path=/, Secure — no subdomain or plain-http page can plant one. */
  private name(): string {
    return this.secure ? '__Host-device' : 'device';
  }

  /** The browser's device id, or undefined when it has none (or sent something that is not one of ours). */
  read(ctx: Context): string | undefined {
    const value = ctx.cookies.get(this.name(), { signed: false });
    return value && ID.test(value) ? value : undefined;
  }

  /** The device id, given to the browser first when it has none. */
  ensure(ctx: Context): string {
    const existing = this.read(ctx);
    if (existing) return existing;
    const id = randomBytes(16).toString('base64url');
    ctx.cookies.set(this.name(), id, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: MAX_AGE_MS, signed: false, overwrite: true });
    return id;
  }

  /** What the store keeps of a device id. */
  hash(id: string): string {
    return createHmac('sha256', this.key).update(`device\0${id}`).digest('base64url');
  }

  /** Puts the hashed device id on ctx.state.deviceHash, giving the browser an id first if it has none. */
  middleware(): Middleware {
    return async (ctx, next) => {
      ctx.state.deviceHash = this.hash(this.ensure(ctx));
      await next();
    };
  }
}
