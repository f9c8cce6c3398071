// Staff members for the admin API and console tests (issue 20): accounts with roles, and access tokens of the
// staff console client as a two-factor sign-in there would leave them (minted in the server's own provider).
import { ACR } from '../../config/assurance.ts';
import { STAFF_CONSOLE_CLIENT_ID } from '../../config/staff-console-client.ts';
import type { StaffRole } from '../../server/domain/staff/staff-roles.ts';
import { addAppOnAccount, confirmedMember } from './account.ts';
import { PASSWORD, uniqueEmail, UserAgent } from './member.ts';
import type { MemberServer } from './suite.ts';
import { totpCode } from './totp.ts';
import type { Page } from './user-agent.ts';
import type { Page as BrowserPage } from 'playwright-core';
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

type Fixture = Pick<MemberServer, 'sink' | 'server' | 'config'>;

export interface StaffPerson {
  email: string;
  accountId: string;
  /** The base32 key of the member's authenticator app. */
  key: string;
}

/**
 * A member who signed up with a password and added an authenticator app on the account page (as a real staff
 * member would), then got `roles` from an owner (none: an ordinary member with an app).
 */
export async function staffWithApp(fx: Fixture, roles: StaffRole[], prefix = 'agent'): Promise<StaffPerson> {
  const { email, accountId, ua, page } = await confirmedMember(fx, prefix);
  const { key } = await addAppOnAccount(ua, page);
  if (roles.length > 0) await fx.server.container.storage.staff.setRoles(accountId, roles);
  return { email, accountId, key };
}

/**
 * Signs in to the console in a fresh browser: password, then the app's code of the next time step (the step
 * the app enrolment used is spent). Returns the browser and the page it ended on.
 */
export async function consoleSignIn(fx: Fixture, person: StaffPerson, atMs = Date.now() + 30_000): Promise<{ ua: UserAgent; page: Page }> {
  const ua = new UserAgent(fx.server.url);
  const login = await ua.follow('/console/sign-in');
  if (!login.body.includes('name="password"')) throw new Error(`no sign-in form: ${login.status} ${login.url}\n${login.body.slice(0, 800)}`);
  const mfa = await ua.submit(login, '/login', { email: person.email, password: PASSWORD });
  if (!mfa.body.includes('/mfa/app"')) throw new Error(`the sign-in did not ask for the app: ${mfa.status} ${mfa.url}\n${mfa.body.slice(0, 800)}`);
  const page = await ua.submit(mfa, '/mfa/app', { code: totpCode(person.key, atMs) });
  return { ua, page };
}

/**
 * Signs `person` in to the console in Chromium: password, then the app's code of the next time step (the enrolment
 * spent the current one). The caller waits for the page its role opens on.
 */
export async function consoleSignInInBrowser(page: BrowserPage, serverUrl: string, person: Pick<StaffPerson, 'email' | 'key'>): Promise<void> {
  await page.goto(`${serverUrl}/console`);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.locator('#code').fill(totpCode(person.key, Date.now() + 30_000));
  await page.locator('#code').press('Enter');
}
