// require-admin-token: the caller presents either a live client-credentials token with the admin scope, issued
// by this provider to a client that still exists and is still allowed `admin` (every admin action), or a staff
// member's access token from the operator console's client (issue 20): the actions the permissions matrix gives
// their roles, while their sign-in is two-factor (an app or a passkey, never SMS) and under 12 hours old.
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { ACR, acrRank, AMR } from '../../config/assurance.ts';
import { ADMIN_SCOPE } from '../../config/provider.ts';
import { STAFF_CONSOLE_CLIENT_ID } from '../../config/staff-console-client.ts';
import type { AccountsRepository } from '../domain/accounts/accounts.repository.ts';
import { DomainError } from '../domain/errors.ts';
import { actionForRoute, mayDo, type StaffAction } from '../domain/staff/permissions.ts';
import type { StaffRepository } from '../domain/staff/staff.repository.ts';
import type { StaffRole } from '../domain/staff/staff-roles.ts';

/** RFC 6750 b64token; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;
/** Our opaque tokens are 43 characters: anything far longer is not one of ours, so skip the store look-up. */
const MAX_TOKEN_LENGTH = 512;
/** A staff sign-in is good for the admin API this long (the console's absolute session lifetime). */
export const STAFF_SIGN_IN_MAX_AGE_SECONDS = 12 * 60 * 60;
/** The second factors a staff sign-in may have used: an authenticator app or a passkey (a texted code is phishable and SIM-swappable). */
const STAFF_DEVICE_FACTORS: readonly string[] = [AMR.app, AMR.hardwareKey, AMR.softwareKey];

/** Who is calling the admin API, for the permission check and the audit log. */
export interface AdminCaller {
  /** `client:<client_id>` for the admin client, `staff:<account id>` for a staff member. */
  actor: string;
  /** The staff member's account and roles; absent for the admin client (which may do everything). */
  staff?: { accountId: string; roles: StaffRole[] };
}

export interface StaffTokenDeps {
  staff: Pick<StaffRepository, 'find'>;
  accounts: Pick<AccountsRepository, 'findById'>;
  /** Epoch milliseconds; tests inject their clock. */
  now?: () => number;
}

function challenge(ctx: Context, error: 'invalid_token' | 'insufficient_scope'): void {
  ctx.set('WWW-Authenticate', `Bearer realm="admin", error="${error}"${error === 'insufficient_scope' ? `, scope="${ADMIN_SCOPE}"` : ''}`);
}

function invalidToken(ctx: Context, message: string): DomainError {
  challenge(ctx, 'invalid_token');
  return new DomainError('unauthorized', message);
}

export function callerOf(ctx: Context): AdminCaller {
  return ctx.state.adminCaller as AdminCaller;
}

/** The staff member's roles allow `action` (the admin client may do everything). */
export function callerMay(caller: AdminCaller, action: StaffAction): boolean {
  return !caller.staff || mayDo(caller.staff.roles, action);
}

/** The action of the matched route, from the permissions matrix (HEAD is GET's). */
function routeAction(ctx: Context): StaffAction | undefined {
  const pattern = typeof ctx.routerPath === 'string' ? ctx.routerPath : '';
  return actionForRoute(ctx.method === 'HEAD' ? 'GET' : ctx.method, pattern);
}

async function staffCaller(ctx: Context, provider: Provider, deps: StaffTokenDeps, value: string): Promise<AdminCaller | undefined> {
  const token = await provider.AccessToken.find(value);
  if (!token || token.kind !== 'AccessToken' || token.isExpired || token.clientId !== STAFF_CONSOLE_CLIENT_ID || !token.accountId) return undefined;
  if (token.jkt || token['x5t#S256']) throw invalidToken(ctx, 'sender-constrained tokens are not accepted here');
  const extra = (token.extra ?? {}) as { acr?: unknown; amr?: unknown; auth_time?: unknown };
  const amr = Array.isArray(extra.amr) ? extra.amr.filter((value): value is string => typeof value === 'string') : [];
  const authTime = typeof extra.auth_time === 'number' ? extra.auth_time : 0;
  const nowSeconds = (deps.now ?? Date.now)() / 1000;
  const strong = acrRank(extra.acr) >= acrRank(ACR.twoFactors) && amr.some((method) => STAFF_DEVICE_FACTORS.includes(method)) && !amr.includes(AMR.sms);
  if (!strong || nowSeconds - authTime > STAFF_SIGN_IN_MAX_AGE_SECONDS) {
    throw invalidToken(ctx, 'staff tokens need a two-factor sign-in (authenticator app or passkey) from the last 12 hours');
  }
  const account = await deps.accounts.findById(token.accountId);
  // A password reset (or any credential change) after the sign-in ends what that sign-in may do.
  if (!account || (account.credentialsChangedAt && Math.floor(account.credentialsChangedAt.getTime() / 1000) > authTime)) {
    throw invalidToken(ctx, 'the sign-in behind this token is no longer valid');
  }
  // Roles are read on every request: taking a role away takes effect at once.
  const staff = await deps.staff.find(account.id);
  if (!staff) {
    challenge(ctx, 'insufficient_scope');
    throw new DomainError('forbidden', 'this member has no staff role');
  }
  return { actor: `staff:${account.id}`, staff: { accountId: account.id, roles: staff.roles } };
}

export function requireAdminToken(provider: Provider, staffDeps?: StaffTokenDeps): Middleware {
  return async (ctx, next) => {
    // The token value is a credential: it is never logged or echoed back, only looked up.
    const value = BEARER.exec(ctx.get('authorization'))?.[1];
    if (!value || value.length > MAX_TOKEN_LENGTH) throw invalidToken(ctx, 'a valid admin access token is required');
    // The ClientCredentials model first; a member's access token is considered only when it was issued to
    // the staff console client (never any other client's, whatever scope it carries).
    const token = await provider.ClientCredentials.find(value);
    if (!token || token.kind !== 'ClientCredentials' || token.isExpired || !token.clientId) {
      const staff = staffDeps ? await staffCaller(ctx, provider, staffDeps, value) : undefined;
      if (!staff?.staff) throw invalidToken(ctx, 'a valid admin access token is required');
      // Known before the permission check, so a refused change is audited with the person who tried it.
      ctx.state.adminClientId = STAFF_CONSOLE_CLIENT_ID;
      ctx.state.adminCaller = staff;
      const action = routeAction(ctx);
      // Default deny: a route the matrix does not name is the admin client's alone.
      if (!action || !mayDo(staff.staff.roles, action)) throw new DomainError('forbidden', 'your staff roles do not allow this');
      return next();
    }
    // Sender-constrained tokens (DPoP, mTLS) would need their proof checked here; admin tokens are plain bearer.
    if (token.jkt || token['x5t#S256']) throw invalidToken(ctx, 'sender-constrained tokens are not accepted here');
    // Deleting the client (or taking `admin` away from it) must cut its outstanding tokens off at once.
    const client = await provider.Client.find(token.clientId);
    if (!client) throw invalidToken(ctx, 'the client this token was issued to no longer exists');
    const clientMayAdmin = (client.scope ?? '').split(' ').includes(ADMIN_SCOPE);
    if (!token.scopes.has(ADMIN_SCOPE) || !clientMayAdmin) {
      challenge(ctx, 'insufficient_scope');
      throw new DomainError('forbidden', 'the token lacks the admin scope');
    }
    ctx.state.adminClientId = token.clientId;
    ctx.state.adminCaller = { actor: `client:${token.clientId}` } satisfies AdminCaller;
    await next();
  };
}
