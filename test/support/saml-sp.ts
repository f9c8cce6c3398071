// Fixtures for saml-connection tests: our server, a samlify IdP, connections to it, and a member's round trip (AuthnRequest out, Response posted to our ACS).
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { openLoginPage } from './member.ts';
import { authorizationRequest, type AuthRequest } from './oidc-client.ts';
import { startSamlIdp, validateWithXmllint, type AnswerOptions, type SamlIdp, type SamlUser } from './saml-idp.ts';
import { useMemberServer, type MemberServer } from './suite.ts';
import type { StoreKind } from './test-server.ts';
import { type Page, UserAgent } from './user-agent.ts';

export interface SamlConnection {
  id: string;
  metadataUrl: string;
  acsUrl: string;
  /** Our SP metadata as served at metadataUrl. */
  spMetadata: string;
}

export interface SamlFixture extends MemberServer {
  idp: SamlIdp;
  admin: ReturnType<typeof adminCaller>;
  /** Creates a saml connection trusting `idp` (default: the fixture's) and reads our SP metadata for it. */
  connect(settings?: Record<string, unknown>, idp?: SamlIdp): Promise<SamlConnection>;
}

export function useSamlFederation(store: StoreKind): SamlFixture {
  const fixture = useMemberServer(store) as SamlFixture;
  validateWithXmllint();
  let token = '';
  fixture.admin = adminCaller(() => fixture.server, () => token);
  beforeAll(async () => {
    fixture.idp = await startSamlIdp(`idp-${store}`);
    token = await fixture.server.adminToken();
  });
  fixture.connect = async (settings = {}, idp = fixture.idp) => {
    const created = await fixture.admin('POST', '/admin/connections', { kind: 'saml', name: 'Partner SSO', metadata_xml: idp.metadataXml, ...settings });
    if (created.status !== 201) throw new Error(`connection: ${created.status} ${JSON.stringify(created.body)}`);
    const body = created.body as unknown as { id: string; metadata_url: string; acs_url: string };
    const spMetadata = await (await fetch(body.metadata_url)).text();
    return { id: body.id, metadataUrl: body.metadata_url, acsUrl: body.acs_url, spMetadata };
  };
  return fixture;
}

export interface SamlTrip {
  ua: UserAgent;
  request: AuthRequest;
  /** Where our server sent the member: the IdP's SSO URL with the AuthnRequest (redirect binding). */
  authnRequest: string;
}

/** A client's authorization request to us and "Continue with" the saml connection, up to the redirect to the IdP. */
export async function toIdp(fx: SamlFixture, connection: SamlConnection, ua = new UserAgent(fx.server.url)): Promise<SamlTrip> {
  const request = await authorizationRequest(fx.config);
  const login = await openLoginPage(ua, request.url);
  const sent = await ua.submit(login, `/connections/${connection.id}`);
  if (!sent.url.startsWith(fx.idp.ssoUrl)) throw new Error(`expected the IdP, got ${sent.status} ${sent.url}\n${sent.body.slice(0, 500)}`);
  return { ua, request, authnRequest: sent.url };
}

/**
 * Posts a Response to an ACS as the IdP's auto-submitted form would: a cross-site POST, so WITHOUT our cookies
 * (SameSite=Lax); the member's browser then follows our redirect back into the interaction with its cookies.
 */
export async function postToAcs(ua: UserAgent, acsUrl: string, fields: { SAMLResponse: string; RelayState: string }): Promise<Page> {
  const response = await fetch(acsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
  if (response.status !== 303 && response.status !== 302) return { url: acsUrl, status: response.status, body: await response.text(), headers: response.headers };
  let page = await ua.follow(new URL(response.headers.get('location')!, acsUrl).href);
  if (page.status === 200 && page.body.includes('/consent"')) page = await ua.submit(page, '/consent', { decision: 'allow' });
  return page;
}

/** The whole round trip: our AuthnRequest answered by the IdP for `user`, posted to the connection's ACS. */
export async function throughSaml(fx: SamlFixture, connection: SamlConnection, user: SamlUser, options: AnswerOptions & { ua?: UserAgent } = {}): Promise<{ trip: SamlTrip; page: Page; answer: { SAMLResponse: string; RelayState: string } }> {
  const trip = await toIdp(fx, connection, options.ua);
  const answer = await fx.idp.answer(trip.authnRequest, connection.spMetadata, user, options);
  return { trip, answer, page: await postToAcs(trip.ua, connection.acsUrl, answer) };
}
