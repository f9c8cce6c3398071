// Drives the account pages like a member: open them (signing in through the provider when needed) and
// "Confirm it is you" (password, then a second factor) before changing how they sign in.
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { SmtpSink } from './smtp-sink.ts';
import { manualKeyOn, openLoginPage, PASSWORD, recoveryCodesOn, signIn, signUpAndVerify, stepUpWithEmailCode, uniqueEmail, UserAgent } from './member.ts';
import { authorizationRequest, REDIRECT_URI } from './oidc-client.ts';
import { type JsonReply, type Knobs, postJsonAs, type PostInit, type SoftAuthenticator } from './soft-authenticator.ts';
import type { MemberServer } from './suite.ts';
import { totpCode } from './totp.ts';
import type { Page } from './user-agent.ts';

export const SECURITY_PATH = '/account/security';

type Fixture = Pick<MemberServer, 'sink' | 'server' | 'config'>;

/** Opens the security page; a browser with a session lands on it, one without lands on the sign-in page. */
export function openSecurityPage(ua: UserAgent): Promise<Page> {
  return ua.follow(SECURITY_PATH);
}

export function isSecurityPage(page: Page): boolean {
  return page.status === 200 && page.url.includes(SECURITY_PATH) && page.body.includes('/account/sessions/end-others');
}

/** Changes are offered (the recent strong sign-in banner is gone). */
export function canChange(page: Page): boolean {
  return isSecurityPage(page) && !page.body.includes('/account/sign-in?reauth=1');
}

/** The hosted sign-in page (an interaction asking for the password), where a signed-out browser is sent. */
export function isSignInPage(page: Page): boolean {
  return page.status === 200 && page.url.includes('/interaction/') && page.body.includes('name="password"');
}

/** The text of the one-shot notice a page shows (role="status"), if any. */
export function noticeOn(page: Page): string | undefined {
  return /role="status">\s*<p>([^<]*)<\/p>/.exec(page.body)?.[1]?.replace(/&#34;|&quot;/g, '"');
}

/** The CSRF token the account pages carry (bound to this browser's session). */
export function accountCsrf(page: Page): string {
  const token = /(?:name="csrf" value|data-csrf)="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no CSRF token on ${page.status} ${page.url}\n${page.body.slice(0, 500)}`);
  return token;
}

/** A browser that signs in at the partner client with the password only: a one-factor session. */
export async function passwordSession(fx: Fixture, email: string, password = PASSWORD): Promise<UserAgent> {
  const ua = new UserAgent(fx.server.url);
  const done = await signIn(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), email, password);
  if (!done.url.startsWith(REDIRECT_URI)) throw new Error(`password sign-in did not reach the client: ${done.status} ${done.url}\n${done.body.slice(0, 500)}`);
  // Mail leaves after the answer (a new-device notice, say): let it arrive, so a caller counting mail from
  // here on counts only what its own steps send.
  await fx.server.container.deliveries.drain();
  return ua;
}

/** A member who signed up with a password, and a browser where they are signed in with it (one factor). */
export async function signedInMember(fx: Fixture, prefix: string): Promise<{ email: string; accountId: string; ua: UserAgent }> {
  const email = uniqueEmail(prefix);
  const signUp = new UserAgent(fx.server.url);
  await signUpAndVerify(signUp, await openLoginPage(signUp, (await authorizationRequest(fx.config)).url), fx.sink, email);
  const account = await fx.server.container.storage.accounts.findByEmail(email);
  return { email, accountId: account!.id, ua: await passwordSession(fx, email) };
}

/**
 * "Confirm it is you" from the security page: password on the sign-in page, then an emailed code
 * (declining the app offer). Returns the security page it ends on.
 */
export async function confirmItsYou(ua: UserAgent, sink: SmtpSink, email: string, password = PASSWORD): Promise<Page> {
  const login = await ua.follow('/account/sign-in?reauth=1');
  if (!login.body.includes('name="password"')) throw new Error(`no sign-in form for reauth: ${login.status} ${login.url}\n${login.body.slice(0, 800)}`);
  const mfa = await ua.submit(login, '/login', { email, password });
  const done = await stepUpWithEmailCode(ua, mfa, sink, email);
  if (!canChange(done)) throw new Error(`reauth did not end on a changeable security page: ${done.status} ${done.url}\n${done.body.slice(0, 800)}`);
  return done;
}

/** The password step of "Confirm it is you": the step-up page that follows it. */
async function reauthStepUp(ua: UserAgent, email: string, password: string): Promise<Page> {
  const login = await ua.follow('/account/sign-in?reauth=1');
  if (!login.body.includes('name="password"')) throw new Error(`no sign-in form for reauth: ${login.status} ${login.url}\n${login.body.slice(0, 800)}`);
  return ua.submit(login, '/login', { email, password });
}

/** "Confirm it is you" for a member with an authenticator app: password, then the app's `code` (it is asked for first). */
export async function confirmItsYouWithApp(ua: UserAgent, email: string, code: string, password = PASSWORD): Promise<Page> {
  const mfa = await reauthStepUp(ua, email, password);
  if (!mfa.body.includes('/mfa/app"')) throw new Error(`reauth did not ask for the app: ${mfa.status} ${mfa.url}\n${mfa.body.slice(0, 800)}`);
  const done = await ua.submit(mfa, '/mfa/app', { code });
  if (!canChange(done)) throw new Error(`reauth did not end on a changeable security page: ${done.status} ${done.url}\n${done.body.slice(0, 800)}`);
  return done;
}

/** "Confirm it is you" for a member with a passkey: password, then the passkey the step-up asks for. */
export async function confirmItsYouWithPasskey(ua: UserAgent, email: string, authenticator: SoftAuthenticator, password = PASSWORD): Promise<Page> {
  const mfa = await reauthStepUp(ua, email, password);
  const uid = /\/interaction\/([^/?#]+)/.exec(mfa.url)?.[1];
  const csrf = /data-passkey="stepup" data-csrf="([^"]+)"/.exec(mfa.body)?.[1];
  if (!uid || !csrf) throw new Error(`reauth did not ask for the passkey: ${mfa.status} ${mfa.url}\n${mfa.body.slice(0, 800)}`);
  const options = await postJsonAs(ua, ua.resolve(`/interaction/${uid}/mfa/passkey/options`), { csrf });
  const response = authenticator.get(options.body as unknown as PublicKeyCredentialRequestOptionsJSON);
  const reply = await postJsonAs(ua, ua.resolve(`/interaction/${uid}/mfa/passkey`), { csrf, response });
  if (reply.status !== 200 || !reply.body.location) throw new Error(`passkey step-up refused: ${reply.status} ${JSON.stringify(reply.body)}`);
  const done = await ua.follow(reply.body.location);
  if (!canChange(done)) throw new Error(`reauth did not end on a changeable security page: ${done.status} ${done.url}\n${done.body.slice(0, 800)}`);
  return done;
}

/** A signed-in member who has just confirmed it is them: the browser and its changeable security page. */
export async function confirmedMember(fx: Fixture, prefix: string) {
  const member = await signedInMember(fx, prefix);
  const page = await confirmItsYou(member.ua, fx.sink, member.email);
  // Mail goes out after each answer: let it all land, so the caller's counts start after it.
  await fx.server.container.deliveries.drain();
  return { ...member, page };
}

/** POSTs JSON to an /account path with the browser's cookies, as passkey.js does on the security page. */
export function postAccountJson(ua: UserAgent, path: string, body: unknown, init: PostInit = {}): Promise<JsonReply> {
  return postJsonAs(ua, ua.resolve(path), body, init);
}

/** "Add a passkey" on the security page: options, the authenticator's answer (with `knobs`), the server's reply. */
export async function addPasskeyOnAccount(ua: UserAgent, securityPage: Page, authenticator: SoftAuthenticator, knobs: Knobs = {}): Promise<JsonReply> {
  const csrf = accountCsrf(securityPage);
  const options = await postAccountJson(ua, '/account/passkeys/options', { csrf });
  if (options.status !== 200) throw new Error(`account passkey options: ${options.status} ${JSON.stringify(options.body)}`);
  const response = authenticator.create(options.body as unknown as PublicKeyCredentialCreationOptionsJSON, knobs);
  return postAccountJson(ua, '/account/passkeys', { csrf, response });
}

/**
 * "Add an authenticator app" on a changeable security page: the QR page, its key typed into the test's own
 * TOTP, the first code, and the recovery codes page that follows.
 */
export async function addAppOnAccount(ua: UserAgent, securityPage: Page) {
  const enrolPage = await ua.submit(securityPage, '/account/app');
  const key = manualKeyOn(enrolPage);
  const codesPage = await ua.submit(enrolPage, '/account/app/confirm', { code: totpCode(key) });
  return { enrolPage, key, codesPage, recoveryCodes: recoveryCodesOn(codesPage) };
}
