// Sign in with Apple in tests: the team's EC key, a token endpoint that verifies the ES256 client secret with jose, and a member's form_post round trip.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { openLoginPage } from './member.ts';
import { authorizationRequest, type AuthRequest } from './oidc-client.ts';
import type { StoreKind } from './test-server.ts';
import { useFederation, type FederationFixture } from './federation.ts';
import type { UpstreamOptions } from './upstream-idp.ts';
import { findForm, type Page, UserAgent } from './user-agent.ts';

export interface AppleTeam {
  teamId: string;
  keyId: string;
  /** The .p8 file's content: PKCS#8 PEM of an EC P-256 key. */
  privateKey: string;
  /** The secret each registered client really has at the stand-in (the gate swaps the JWT for it). */
  secrets: Map<string, string>;
  /** Every client secret JWT the token endpoint accepted, with its header. */
  accepted: Array<{ header: Record<string, unknown>; claims: JWTPayload }>;
  /** The upstream options that make startUpstreamIdp play Apple's token endpoint and ID token. */
  upstream(issuer: () => string): Omit<UpstreamOptions, 'accounts'>;
}

const SIX_MONTHS = 15_777_000;

export function appleTeam(): AppleTeam {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const team: AppleTeam = {
    teamId: randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase(),
    keyId: randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    secrets: new Map(),
    accepted: [],
    upstream: (issuer) => ({
      idTokenClaims: true,
      // Apple's check of the client secret: ES256 by the team's key, iss team, sub the client, aud Apple, exp ≤ 6 months.
      tokenGate: async (body) => {
        const clientId = body.get('client_id') ?? '';
        const jwt = body.get('client_secret') ?? '';
        try {
          const header = decodeProtectedHeader(jwt);
          const { payload } = await jwtVerify(jwt, await importSPKI(publicPem, 'ES256'), { algorithms: ['ES256'], issuer: team.teamId, subject: clientId, audience: issuer() });
          if (header.kid !== team.keyId) return { refused: 'unknown key id' };
          if (payload.iat === undefined || payload.exp === undefined || payload.exp - payload.iat > SIX_MONTHS) return { refused: 'secret lives too long' };
          const secret = team.secrets.get(clientId);
          if (!secret) return { refused: 'unknown client' };
          team.accepted.push({ header: { ...header }, claims: payload });
          body.set('client_secret', secret);
          return body;
        } catch (error) {
          return { refused: `bad client secret: ${(error as Error).message}` };
        }
      },
    }),
  };
  return team;
}

/** Creates an apple connection to the stand-in and registers it there (client_secret_post); its id. */
export async function connectApple(fx: FederationFixture, team: AppleTeam, settings: Record<string, unknown> = {}): Promise<string> {
  const created = await fx.admin('POST', '/admin/connections', {
    kind: 'apple', issuer: fx.upstream.issuer, client_id: 'pending', team_id: team.teamId, key_id: team.keyId, private_key: team.privateKey, ...settings,
  });
  if (created.status !== 201) throw new Error(`apple connection: ${created.status} ${JSON.stringify(created.body)}`);
  const { id, redirect_uri: redirectUri } = created.body as unknown as { id: string; redirect_uri: string };
  const registered = await fx.upstream.register(redirectUri, 'client_secret_post');
  team.secrets.set(registered.client_id, registered.client_secret);
  const patched = await fx.admin('PATCH', `/admin/connections/${id}`, { client_id: registered.client_id });
  if (patched.status !== 200) throw new Error(`apple connection patch: ${patched.status} ${JSON.stringify(patched.body)}`);
  return id;
}

export interface ApplePost {
  ua: UserAgent;
  request: AuthRequest;
  /** The upstream's auto-submitting form (action: our callback) and its fields. */
  action: string;
  fields: Record<string, string>;
  /** The authorization URL the member was sent to. */
  authorizationUrl: string;
}

/** A client's request to us, "Continue with Apple", the member signing in at the stand-in as `sub`: the form it posts back. */
export async function throughApple(fx: FederationFixture, connectionId: string, sub: string): Promise<ApplePost> {
  const ua = new UserAgent(fx.server.url);
  const request = await authorizationRequest(fx.config);
  const loginPage = await openLoginPage(ua, request.url);
  const toUpstream = await ua.submit(loginPage, `/connections/${connectionId}`);
  if (!toUpstream.url.startsWith(fx.upstream.issuer)) throw new Error(`expected the upstream, got ${toUpstream.status} ${toUpstream.url}`);
  const up = new UserAgent(fx.upstream.origin);
  let page: Page = await up.submit(await up.follow(toUpstream.url), '/interaction/', { login: sub, password: 'any' });
  if (page.status === 200 && page.body.includes('value="consent"')) page = await up.submit(page, '/interaction/');
  const form = findForm(page.body, '/connections/');
  return { ua, request, action: form.action, fields: form.hidden, authorizationUrl: toUpstream.url };
}

/**
 * The member's browser posting Apple's form to us: a cross-site POST, so without our cookies (SameSite=Lax);
 * `user` is what Apple adds on the first sign-in only. The answer (a redirect) is returned unfollowed.
 */
export async function postToCallback(fx: FederationFixture, post: ApplePost, extra: Record<string, string> = {}): Promise<Page> {
  return new UserAgent(fx.server.url).request(post.action, {
    form: { ...post.fields, ...extra },
    // What a browser sends with Apple's auto-submitted form.
    headers: { origin: 'https://appleid.apple.com', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
  });
}

/** The redirect of our form_post callback followed by the member's browser (a top-level GET: cookies again), consent if asked. */
export async function followBack(post: ApplePost, redirect: Page): Promise<Page> {
  let page = await post.ua.follow(new URL(redirect.headers.get('location')!, redirect.url).href);
  if (page.status === 200 && page.body.includes('/consent"')) page = await post.ua.submit(page, '/consent', { decision: 'allow' });
  return page;
}

export interface AppleFixture {
  team: AppleTeam;
  fx: FederationFixture;
  /** The trusted-email Apple connection made for the file (set in beforeAll). */
  connectionId: string;
}

/** A federation fixture whose upstream plays Apple for `team`, with one trusted-email Apple connection. */
export function useAppleFederation(store: StoreKind): AppleFixture {
  const team = appleTeam();
  let issuer = '';
  const fixture: AppleFixture = { team, fx: useFederation(store, {}, team.upstream(() => issuer)), connectionId: '' };
  beforeAll(async () => {
    issuer = fixture.fx.upstream.issuer;
    fixture.connectionId = await connectApple(fixture.fx, team, { trusted_email: true });
  });
  return fixture;
}
