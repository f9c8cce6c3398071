// Imports a SAML IdP's metadata (XML given, or fetched through the SSRF-safe client) and refuses what is wrong with the field to blame.
import { X509Certificate } from 'node:crypto';
import type * as Samlify from 'samlify';
import { DomainError } from '../errors.ts';
import type { OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import { samlifyLibrary } from '../saml-idp/samlify-library.ts';
import { unreachable } from './oidc-discovery.ts';
import { MAX_SAML_METADATA_BYTES, type SamlIdpMetadata } from './saml-connection-settings.ts';

function refuse(field: string, message: string, cause?: unknown): never {
  throw new DomainError('invalid_input', `invalid connection: ${field} ${message}`, { details: { fields: { [field]: message } }, cause });
}

/** The base64 body of a metadata X509Certificate as PEM, line-wrapped like every PEM reader expects. */
function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

/** samlify answers a string when the binding is offered, and the map of all services when it is not. */
function location(metadata: ReturnType<typeof Samlify.IdPMetadata>, binding: 'redirect' | 'post'): string | undefined {
  const found = metadata.getSingleSignOnService(binding);
  return typeof found === 'string' && URL.canParse(found) ? found : undefined;
}

/**
 * Parses the IdP's metadata with samlify (no XML of ours): its entity id, the SSO locations for the bindings
 * we speak, and the signing certificates, each of which must be a valid certificate inside its validity period
 * (an expired one would sign assertions we could never accept; the operator fixes it now, not at a sign-in).
 */
export async function parseIdpMetadata(xml: string, field: string, now = new Date()): Promise<SamlIdpMetadata> {
  const samlify = await samlifyLibrary();
  let metadata: ReturnType<typeof Samlify.IdPMetadata>;
  try {
    metadata = samlify.IdPMetadata(xml);
  } catch (error) {
    refuse(field, 'is not well-formed XML', error);
  }
  const entityId = metadata.getEntityID();
  if (typeof entityId !== 'string' || !entityId) refuse(field, 'is not a SAML IdP\'s metadata: no EntityDescriptor entityID');
  const ssoRedirect = location(metadata, 'redirect');
  const ssoPost = location(metadata, 'post');
  if (!ssoRedirect && !ssoPost) refuse(field, 'names no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');
  const raw = metadata.getX509Certificate('signing');
  const bodies = (Array.isArray(raw) ? raw : [raw]).filter((value): value is string => typeof value === 'string' && value.trim() !== '');
  if (bodies.length === 0) refuse(field, 'has no signing certificate (KeyDescriptor use="signing")');
  const certificates = bodies.map((body) => {
    const pem = toPem(body);
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch (error) {
      refuse(field, 'has a signing certificate that is not a valid X.509 certificate', error);
    }
    if (new Date(certificate.validTo) <= now) refuse(field, `has a signing certificate that expired on ${new Date(certificate.validTo).toISOString()}`);
    if (new Date(certificate.validFrom) > now) refuse(field, 'has a signing certificate that is not valid yet');
    return pem;
  });
  return {
    entity_id: entityId,
    ...(ssoRedirect ? { sso_redirect: ssoRedirect } : {}),
    ...(ssoPost ? { sso_post: ssoPost } : {}),
    signing_certificates: certificates,
  };
}

/** The metadata at `url`, through the outbound client (https only in production, no private addresses, no redirects). */
export async function fetchIdpMetadata(outbound: Pick<OutboundClient, 'fetch'>, url: string): Promise<SamlIdpMetadata> {
  let response: Response;
  try {
    response = await outbound.fetch(url, { headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
  } catch (error) {
    refuse('metadata_url', unreachable(error), error);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    refuse('metadata_url', `answered HTTP ${response.status}`);
  }
  const text = await response.text();
  if (text.length > MAX_SAML_METADATA_BYTES) refuse('metadata_url', 'metadata is too large');
  return parseIdpMetadata(text, 'metadata_url');
}
