// The operator console's own session (issue 20): a signed cookie naming the staff member, when their two-factor
// sign-in happened and when they were last seen; 30 minutes idle or 12 hours after the sign-in, it is over.
// Roles are read from the store on every request, so a role taken away takes effect at once.
import { randomBytes } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { AccountsRepository } from '../../server/domain/accounts/accounts.repository.ts';
import type { StaffRepository } from '../../server/domain/staff/staff.repository.ts';
import type { StaffRole } from '../../server/domain/staff/staff-roles.ts';
import { consoleClock } from './console-clock.ts';

export const IDLE_SECONDS = 30 * 60;
export const ABSOLUTE_SECONDS = 12 * 60 * 60;

export interface StaffSession {
  accountId: string;
  roles: StaffRole[];
  /** Random per console session: what CSRF tokens bind to. */
  nonce: string;
  /** Epoch seconds of the two-factor sign-in. */
  signedInAt: number;
}

const cookieValue = z.object({ a: z.string().min(1).max(200), s: z.number().int(), l: z.number().int(), n: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) }).strict();

export function staffCookie(secure: boolean) {
  return {
    name: secure ? '__Host-console-session' : 'console-session',
    // Signed with the provider's cookie keys (Keygrip): a browser cannot forge or stretch its times.
    options: { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', signed: true, overwrite: true },
  };
}

function nowSeconds(): number {
  return Math.floor(consoleClock.now() / 1000);
}

export function startStaffSession(ctx: Context, secure: boolean, accountId: string, signedInAt: number): void {
  const { name, options } = staffCookie(secure);
  const value = { a: accountId, s: signedInAt, l: nowSeconds(), n: randomBytes(18).toString('base64url') };
  ctx.cookies.set(name, Buffer.from(JSON.stringify(value)).toString('base64url'), options);
}

export function endStaffSession(ctx: Context, secure: boolean): void {
  const { name, options } = staffCookie(secure);
  ctx.cookies.set(name, null, options);
}

/** Why there is no staff session: never had one, or it ran out (the page says which). */
export type NoSession = 'none' | 'expired';

/**
 * Loads ctx.state.staff, renewing the idle clock; otherwise calls `signedOut` (a page, never the handler).
 * A member whose roles were all taken away is signed out too.
 */
export function loadStaff(
  deps: { staff: Pick<StaffRepository, 'find'>; accounts: Pick<AccountsRepository, 'findById'> },
  secure: boolean,
  signedOut: (ctx: Context, why: NoSession) => Promise<void>,
): Middleware {
  return async (ctx, next) => {
    const { name, options } = staffCookie(secure);
    const raw = ctx.cookies.get(name, { signed: true });
    let parsed: z.infer<typeof cookieValue> | undefined;
    try {
      parsed = raw ? cookieValue.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed) return signedOut(ctx, 'none');
    const now = nowSeconds();
    if (now - parsed.l > IDLE_SECONDS || now - parsed.s > ABSOLUTE_SECONDS) {
      ctx.cookies.set(name, null, options);
      return signedOut(ctx, 'expired');
    }
    const member = await deps.staff.find(parsed.a);
    const account = member ? await deps.accounts.findById(parsed.a) : undefined;
    // A password reset (any credential change) after the sign-in ends the console session as it ends the others.
    const stale = account?.credentialsChangedAt && Math.floor(account.credentialsChangedAt.getTime() / 1000) > parsed.s;
    if (!member || !account || stale) {
      ctx.cookies.set(name, null, options);
      return signedOut(ctx, 'none');
    }
    ctx.cookies.set(name, Buffer.from(JSON.stringify({ ...parsed, l: now })).toString('base64url'), options);
    const session: StaffSession = { accountId: member.accountId, roles: member.roles, nonce: parsed.n, signedInAt: parsed.s };
    ctx.state.staff = session;
    await next();
  };
}

export function staffOf(ctx: Context): StaffSession {
  return ctx.state.staff as StaffSession;
}
