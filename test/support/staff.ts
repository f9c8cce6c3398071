// Staff members for the admin API and console tests (issue 20): accounts with roles, and access tokens of the
// staff console client as a two-factor sign-in there would leave them (minted in the server's own provider).
import { ACR } from '../../config/assurance.ts';
import { STAFF_CONSOLE_CLIENT_ID } from '../../config/staff-console-client.ts';
import type { StaffRole } from '../../server/domain/staff/staff-roles.ts';
import { uniqueEmail } from './member.ts';
import type { TestServer } from './test-server.ts';

/** A verified member (with a loyalty membership) carrying `roles` (none: an ordinary member). */
export async function staffAccount(server: TestServer, roles: StaffRole[], prefix = 'staff'): Promise<{ accountId: string; email: string }> {
  const { storage, loyalty } = server.container;
  const email = uniqueEmail(prefix);
  const account = await storage.accounts.create({ email, emailVerified: true, passwordHash: null });
  await loyalty.ensureMember(account.id);
  if (roles.length > 0) await storage.staff.setRoles(account.id, roles);
  return { accountId: account.id, email };
}

export interface StaffTokenOptions {
  acr?: string;
  amr?: string[];
  /** Epoch seconds of the sign-in; defaults to now. */
  authTime?: number;
  clientId?: string;
}

/** An access token of the staff console client for `accountId`, with the sign-in's acr/amr/auth_time as our token endpoint records them. */
export async function staffToken(server: TestServer, accountId: string, options: StaffTokenOptions = {}): Promise<string> {
  const { provider } = server.container;
  const client = await provider.Client.find(options.clientId ?? STAFF_CONSOLE_CLIENT_ID);
  if (!client) throw new Error('no staff console client');
  const value = await new provider.AccessToken({ client, accountId, grantId: `grant-${accountId}`, gty: 'authorization_code', scope: 'openid' }).save();
  // Outside a request the token endpoint's extraTokenClaims has no sign-in to copy: the stored payload gets the
  // acr/amr/auth_time the code exchange would have put there.
  const extra = { acr: options.acr ?? ACR.twoFactors, amr: options.amr ?? ['pwd', 'otp', 'mfa'], auth_time: options.authTime ?? Math.floor(Date.now() / 1000) };
  const { adapter } = provider.AccessToken;
  const payload = await adapter.find(value);
  if (!payload) throw new Error('minted token not stored');
  await adapter.upsert(value, { ...payload, extra }, 3600);
  return value;
}
