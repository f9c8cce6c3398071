// The SAML 2.0 leg to an upstream IdP with @node-saml/node-saml (we are the SP): AuthnRequest out, signed Response in, every condition checked.
import { randomBytes } from 'node:crypto';
import type { CacheProvider, Profile, SAML } from '@node-saml/node-saml';
import type { SamlConnectionSettings } from './saml-connection-settings.ts';
import { UpstreamSignInFailed, type UpstreamIdentity } from './upstream-oidc.ts';

/** ≤ 2 minutes between our clock and the IdP's (issue 16). */
export const SAML_CLOCK_SKEW_MS = 2 * 60 * 1000;

/** Attribute names that carry an email at the IdPs members meet (LDAP mail, eduPerson OID, WS-Fed claim, plain). */
const EMAIL_ATTRIBUTES = ['email', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'emailAddress', 'Email'];
/**
 * node-saml (with xml-crypto, xml2js, xmlbuilder) is loaded at the first SAML connection's use, not at boot: a
 * deployment without SAML connections would keep it resident for nothing. Node loads it once.
 */
const nodeSaml = () => import('@node-saml/node-saml');

const EMAIL_NAMEID = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** Our side of one connection: the SP's entity id and ACS under our issuer (one SP per connection, so audiences differ). */
export interface SamlEndpoints {
  entityId: string;
  acsUrl: string;
}

export function samlEndpoints(issuer: string, connectionId: string): SamlEndpoints {
  const base = `${issuer}/connections/${encodeURIComponent(connectionId)}/saml`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs` };
}

/** What the AuthnRequest needs sent: a URL to redirect to, or a form to post (an IdP offering only HTTP-POST). */
export type SamlAuthnRequest =
  | { binding: 'redirect'; url: string }
  | { binding: 'post'; action: string; fields: { SAMLRequest: string; RelayState: string } };

/** An identity from a validated assertion, with what the replay cache needs. */
export interface SamlIdentity extends UpstreamIdentity {
  assertionId: string;
  /** When the assertion stops being acceptable: its id is remembered until then. */
  notOnOrAfter: Date;
}

/** The pending request an answer must be in response to (bound to one interaction, single use). */
export interface PendingSamlRequest {
  requestId: string;
  createdAt: number;
}

/** A SAML request id: an NCName (starts with a letter or `_`), unguessable. */
export function newSamlRequestId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

type XmlJs = Record<string, unknown>;
const first = (value: unknown): XmlJs | undefined => (Array.isArray(value) && value[0] && typeof value[0] === 'object' ? (value[0] as XmlJs) : undefined);
const attr = (node: XmlJs | undefined, name: string): string | undefined => {
  const value = (node?.$ as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};
const text = (node: unknown): string | undefined => {
  if (typeof node === 'string') return node;
  const value = (node as { _?: unknown } | undefined)?._;
  return typeof value === 'string' ? value : undefined;
};

/** Only the first value of a multi-valued attribute fills a profile field; strings only. */
function attributeClaims(profile: Profile): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const attributes = (profile as { attributes?: Record<string, unknown> }).attributes ?? {};
  for (const [name, value] of Object.entries(attributes)) {
    const single = Array.isArray(value) ? value[0] : value;
    if (typeof single === 'string') claims[name] = single;
  }
  return claims;
}

export class UpstreamSaml {
  private readonly issuer: string;

  constructor(issuer: string) {
    this.issuer = issuer;
  }

  endpoints(connectionId: string): SamlEndpoints {
    return samlEndpoints(this.issuer, connectionId);
  }

  private async saml(connectionId: string, settings: SamlConnectionSettings, options: { requestId?: string; pending?: PendingSamlRequest; entryPoint?: string; post?: boolean } = {}): Promise<SAML> {
    const { SAML, ValidateInResponseTo } = await nodeSaml();
    const { entityId, acsUrl } = this.endpoints(connectionId);
    const pending = options.pending;
    // InResponseTo must name THE pending request of this interaction, nothing else node-saml might remember.
    const cacheProvider: CacheProvider = {
      saveAsync: async (_key, value) => ({ value, createdAt: Date.now() }),
      getAsync: async (key) => (pending && key === pending.requestId ? new Date(pending.createdAt).toISOString() : null),
      removeAsync: async () => null,
    };
    return new SAML({
      issuer: entityId,
      callbackUrl: acsUrl,
      audience: entityId,
      idpIssuer: settings.idp.entity_id,
      idpCert: settings.idp.signing_certificates,
      // Optional encrypted assertions: node-saml decrypts with our key; the signature inside is still required.
      ...(settings.sp_encryption_key ? { decryptionPvk: settings.sp_encryption_key } : {}),
      ...(options.entryPoint ? { entryPoint: options.entryPoint } : {}),
      // The HTTP-POST binding carries the request base64-encoded but not deflated (SAML bindings §3.5.4).
      ...(options.post ? { authnRequestBinding: 'HTTP-POST', skipRequestCompression: true } : {}),
      // The assertion itself must carry a valid signature: a signed Response around an unsigned assertion is refused.
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: 15 * 60 * 1000,
      cacheProvider,
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      ...(options.requestId ? { generateUniqueId: () => options.requestId! } : {}),
    });
  }

  /** Our SP metadata for this connection: entity id, ACS (HTTP-POST), assertions wanted signed. */
  async metadata(connectionId: string, settings: SamlConnectionSettings): Promise<string> {
    return (await this.saml(connectionId, settings)).generateServiceProviderMetadata(settings.sp_encryption_certificate ?? null, null);
  }

  /** The AuthnRequest with our request id, by HTTP-Redirect when the IdP offers it, else by HTTP-POST. */
  async begin(connectionId: string, settings: SamlConnectionSettings, requestId: string, relayState: string): Promise<SamlAuthnRequest> {
    if (settings.idp.sso_redirect) {
      const url = await (await this.saml(connectionId, settings, { requestId, entryPoint: settings.idp.sso_redirect })).getAuthorizeUrlAsync(relayState, undefined, {});
      return { binding: 'redirect', url };
    }
    const action = settings.idp.sso_post!;
    const message = await (await this.saml(connectionId, settings, { requestId, entryPoint: action, post: true })).getAuthorizeMessageAsync(relayState);
    return { binding: 'post', action, fields: { SAMLRequest: String(message.SAMLRequest), RelayState: relayState } };
  }

  /**
   * The Response posted to our ACS: node-saml checks the signature on the assertion (and that there is exactly
   * one), InResponseTo against the pending request, NotBefore/NotOnOrAfter with ≤ 2 min skew, the audience and
   * the issuer; we add the Destination and the SubjectConfirmation Recipient (our ACS) and read the assertion id.
   */
  async finish(connectionId: string, settings: SamlConnectionSettings, samlResponse: string, pending: PendingSamlRequest): Promise<SamlIdentity> {
    const { acsUrl } = this.endpoints(connectionId);
    let profile: Profile | null;
    try {
      ({ profile } = await (await this.saml(connectionId, settings, { pending })).validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (cause) {
      const status = (cause as { name?: string }).name === 'SamlStatusError' ? 'upstream_error' : 'invalid_response';
      throw new UpstreamSignInFailed(status, `SAML response refused: ${(cause as Error).message.slice(0, 200)}`, { cause });
    }
    if (!profile) throw new UpstreamSignInFailed('invalid_response', 'SAML response carries no assertion');
    const refuse = (message: string): never => {
      throw new UpstreamSignInFailed('invalid_response', `SAML response refused: ${message}`);
    };
    // The Response's Destination (outside the assertion's signature, but a wrong one is a response meant elsewhere).
    const responseXml = Buffer.from(samlResponse, 'base64').toString('utf8');
    const destination = /<(?:[A-Za-z0-9_-]+:)?Response\b[^>]*?\sDestination="([^"]*)"/.exec(responseXml)?.[1];
    if (destination !== undefined && destination !== acsUrl) refuse('Destination is not our ACS');
    if (profile.issuer !== settings.idp.entity_id) refuse('assertion issuer is not the connection\'s IdP');

    // Everything below comes from the signed assertion node-saml verified.
    const assertion = (profile.getAssertion?.() as { Assertion?: XmlJs } | undefined)?.Assertion;
    const assertionId = attr(assertion, 'ID');
    if (!assertion || !assertionId) return refuse('assertion has no ID');
    const subject = first(assertion.Subject);
    const confirmations = (Array.isArray(subject?.SubjectConfirmation) ? subject.SubjectConfirmation : []) as XmlJs[];
    const bearer = confirmations.map((confirmation) => first(confirmation.SubjectConfirmationData)).filter((data): data is XmlJs => data !== undefined);
    if (!bearer.some((data) => attr(data, 'Recipient') === acsUrl)) refuse('SubjectConfirmation Recipient is not our ACS');
    // The Response's InResponseTo is outside the assertion's signature: the signed one must name our request too.
    if (!bearer.some((data) => attr(data, 'InResponseTo') === pending.requestId)) refuse('SubjectConfirmation InResponseTo is not our request');
    const conditions = first(assertion.Conditions);
    const limits = [attr(conditions, 'NotOnOrAfter'), ...bearer.map((data) => attr(data, 'NotOnOrAfter'))]
      .filter((value): value is string => value !== undefined).map((value) => Date.parse(value)).filter((value) => Number.isFinite(value));
    // Without any NotOnOrAfter the assertion would be good forever: refused (node-saml's maxAssertionAge would allow it).
    if (limits.length === 0) refuse('assertion has no NotOnOrAfter');
    const notOnOrAfter = new Date(Math.min(...limits) + SAML_CLOCK_SKEW_MS);

    if (!profile.nameID) refuse('assertion has no NameID');
    const claims = attributeClaims(profile);
    const emailAttribute = settings.email_attribute ? [settings.email_attribute] : EMAIL_ATTRIBUTES;
    let email = emailAttribute.map((name) => claims[name]).find((value): value is string => typeof value === 'string');
    if (!email && profile.nameIDFormat === EMAIL_NAMEID) email = profile.nameID;
    const authnContext = text(first(first(first(assertion.AuthnStatement)?.AuthnContext)?.AuthnContextClassRef));
    return {
      subject: profile.nameID,
      email,
      // SAML has no email_verified: the IdP vouches for the address it asserts, believed only for a connection
      // trusted for email (federated-sign-in.ts), like an OIDC upstream's email_verified.
      emailVerified: email !== undefined,
      amr: [],
      acr: authnContext,
      claims: { ...claims, name_id: profile.nameID },
      assertionId,
      notOnOrAfter,
    };
  }
}
