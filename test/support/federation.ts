// Fixtures for upstream sign-in tests: our server with a connection to a real upstream oidc-provider, and a member's round trip through it.
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { authorizationRequest, type AuthRequest } from './oidc-client.ts';
import { openLoginPage } from './member.ts';
import { useMemberServer, type MemberServer } from './suite.ts';
import type { StoreKind } from './test-server.ts';
import { startUpstreamIdp, type UpstreamIdp, type UpstreamOptions } from './upstream-idp.ts';
import { type Page, UserAgent } from './user-agent.ts';

export interface FederationFixture extends MemberServer {
  upstream: UpstreamIdp;
  /** Claims per upstream sub, read by the upstream at each sign-in (tests set them before signing in). */
  accounts: Map<string, Record<string, unknown>>;
  /** Admin API calls on our server. */
  admin: ReturnType<typeof adminCaller>;
  /** Creates a connection to the upstream (registered there with its redirect_uri); its id. */
  connect(settings?: Record<string, unknown>): Promise<string>;
}

/** Registers beforeAll/afterAll hooks: our server on `store`, an upstream IdP with its own keys. */
export function useFederation(store: StoreKind, env: Record<string, string> = {}, upstream: Omit<UpstreamOptions, 'accounts'> = {}, server: { publicHost?: string } = {}): FederationFixture {
  const fixture = useMemberServer(store, env, server) as FederationFixture;
  fixture.accounts = new Map();
  let token = '';
  fixture.admin = adminCaller(() => fixture.server, () => token);
  beforeAll(async () => {
    fixture.upstream = await startUpstreamIdp({ ...upstream, accounts: fixture.accounts });
    token = await fixture.server.adminToken();
  });
  afterAll(async () => fixture.upstream?.close());
  fixture.connect = async (settings = {}) => {
    const created = await fixture.admin('POST', '/admin/connections', { kind: 'oidc', name: 'Google', issuer: fixture.upstream.issuer, client_id: 'pending', ...settings });
    if (created.status !== 201) throw new Error(`connection: ${created.status} ${JSON.stringify(created.body)}`);
    const { id, redirect_uri: redirectUri } = created.body as unknown as { id: string; redirect_uri: string };
    const registered = await fixture.upstream.register(redirectUri);
    const patched = await fixture.admin('PATCH', `/admin/connections/${id}`, registered);
    if (patched.status !== 200) throw new Error(`connection patch: ${patched.status}`);
    return id;
  };
  return fixture;
}

export interface RoundTrip {
  /** Our browser stand-in and the upstream's (one browser, two origins). */
  ua: UserAgent;
  up: UserAgent;
  request: AuthRequest;
  loginPage: Page;
  /** The upstream's redirect back to our callback (not yet followed). */
  callbackUrl: string;
}

/** A client's authorization request to us, "Continue with" the connection, and the member signing in upstream as `sub`. */
export async function throughUpstream(fx: FederationFixture, connectionId: string, sub: string, options: { cancel?: boolean; ua?: UserAgent; request?: AuthRequest; loginPage?: Page } = {}): Promise<RoundTrip> {
  const ua = options.ua ?? new UserAgent(fx.server.url);
  const request = options.request ?? await authorizationRequest(fx.config);
  const loginPage = options.loginPage ?? await openLoginPage(ua, request.url);
  const toUpstream = await ua.submit(loginPage, `/connections/${connectionId}`);
  if (!toUpstream.url.startsWith(fx.upstream.issuer)) throw new Error(`expected the upstream, got ${toUpstream.status} ${toUpstream.url}\n${toUpstream.body.slice(0, 500)}`);
  const { up, callbackUrl } = await atUpstream(fx, toUpstream.url, sub, options);
  return { ua, up, request, loginPage, callbackUrl };
}

/** The member at the upstream (sent there by `url`) signing in as `sub`, or cancelling: the redirect back to us, unfollowed. */
export async function atUpstream(fx: FederationFixture, url: string, sub: string, options: { cancel?: boolean } = {}): Promise<{ up: UserAgent; callbackUrl: string }> {
  const up = new UserAgent(fx.upstream.origin);
  const upstreamLogin = await up.follow(url);
  let page: Page;
  if (options.cancel) {
    // The dev login page's "cancel" link (a GET at the upstream).
    page = await up.follow(`${upstreamLogin.url.replace(/\/$/, '')}/abort`);
  } else {
    // The upstream's dev pages: one form posting to /interaction/<uid> (login, then consent).
    page = await up.submit(upstreamLogin, '/interaction/', { login: sub, password: 'any' });
    if (page.status === 200 && page.body.includes('value="consent"')) page = await up.submit(page, '/interaction/');
  }
  if (!page.url.startsWith(fx.server.url)) throw new Error(`expected a redirect back to us, got ${page.status} ${page.url}\n${page.body.slice(0, 800)}`);
  return { up, callbackUrl: page.url };
}

/** Our callback followed (and consent, if asked): the page where it stopped, or the redirect to the client. */
export async function backAtUs(trip: RoundTrip): Promise<Page> {
  let page = await trip.ua.follow(trip.callbackUrl);
  if (page.status === 200 && page.body.includes('/consent"')) page = await trip.ua.submit(page, '/consent', { decision: 'allow' });
  return page;
}
