// Admin API for saml connections (we are the SP): create and patch by importing the IdP's metadata, and the view answered.
import { randomUUID, X509Certificate } from 'node:crypto';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { ConnectionsRepository, StoredConnection } from '../domain/connections/connections.repository.ts';
import { samlConnectionInput, samlConnectionPatch, samlConnectionSettings, type SamlConnectionSettings } from '../domain/connections/saml-connection-settings.ts';
import { fetchIdpMetadata, parseIdpMetadata } from '../domain/connections/saml-metadata.ts';
import { samlEndpoints } from '../domain/connections/upstream-saml.ts';
import { DomainError } from '../domain/errors.ts';
import { selfSignedRsaCertificate } from '../security/self-signed-certificate.ts';
import type { OutboundClient } from '../security/outbound/outbound-fetch.ts';

export interface SamlAdminDeps {
  connections: ConnectionsRepository;
  outbound: Pick<OutboundClient, 'fetch'>;
  issuer: string;
  /** Shared with the oidc kinds (connection-handlers.ts): one email domain routes to one connection. */
  assertDomainsFree(domains: readonly string[], exceptId?: string): Promise<void>;
  invalid(error: z.ZodError): never;
}

/** The answer: the IdP we trust, and what its operator registers for us (our SP metadata URL, entity id, ACS). */
export function samlView(connection: StoredConnection, issuer: string) {
  const settings = samlConnectionSettings.parse(connection.settings);
  const { entityId, acsUrl } = samlEndpoints(issuer, connection.id);
  return {
    id: connection.id,
    kind: connection.kind,
    name: connection.name,
    idp_entity_id: settings.idp.entity_id,
    idp_sso_bindings: [...(settings.idp.sso_redirect ? ['HTTP-Redirect'] : []), ...(settings.idp.sso_post ? ['HTTP-POST'] : [])],
    idp_certificates_expire_at: settings.idp.signing_certificates.map((pem) => new Date(new X509Certificate(pem).validTo).toISOString()),
    ...(settings.metadata_url ? { metadata_url_imported: settings.metadata_url } : {}),
    claim_mapping: settings.claim_mapping,
    trusted_email: settings.trusted_email,
    trusted_mfa: settings.trusted_mfa,
    domains: settings.domains,
    ...(settings.email_attribute ? { email_attribute: settings.email_attribute } : {}),
    encrypt_assertions: settings.sp_encryption_certificate !== undefined,
    entity_id: entityId,
    metadata_url: entityId,
    acs_url: acsUrl,
    created_at: connection.createdAt.toISOString(),
    updated_at: connection.updatedAt.toISOString(),
  };
}

export function samlConnectionAdmin(deps: SamlAdminDeps) {
  const { connections, issuer } = deps;

  /** The metadata given as XML, or fetched now from the URL: checked before anything is stored, the field named. */
  const importMetadata = (input: { metadata_url?: string | undefined; metadata_xml?: string | undefined }) => (input.metadata_xml !== undefined
    ? parseIdpMetadata(input.metadata_xml, 'metadata_xml')
    : fetchIdpMetadata(deps.outbound, input.metadata_url!));

  /** Our encryption key for one connection's assertions (the store seals the key; the certificate goes in our SP metadata). */
  const encryptionKey = async (id: string) => {
    const { privateKeyPem, certificatePem } = await selfSignedRsaCertificate(`${issuer} SAML SP ${id}`);
    return { sp_encryption_key: privateKeyPem, sp_encryption_certificate: certificatePem };
  };

  return {
    async create(ctx: Context) {
      const parsed = samlConnectionInput.safeParse(ctx.request.body);
      if (!parsed.success) deps.invalid(parsed.error);
      const { kind, name, metadata_url: metadataUrl, metadata_xml: metadataXml, email_attribute: emailAttribute, encrypt_assertions: encrypt, ...rest } = parsed.data;
      const domains = [...new Set(rest.domains)];
      await deps.assertDomainsFree(domains);
      const idp = await importMetadata({ metadata_url: metadataUrl, metadata_xml: metadataXml });
      const id = randomUUID();
      const settings: SamlConnectionSettings = {
        idp, ...rest, domains, ...(metadataUrl ? { metadata_url: metadataUrl } : {}), ...(emailAttribute ? { email_attribute: emailAttribute } : {}),
        ...(encrypt ? await encryptionKey(id) : {}),
      };
      const created = await connections.create({ id, kind, name, settings });
      ctx.status = 201;
      ctx.set('Location', `/admin/connections/${encodeURIComponent(created.id)}`);
      ctx.body = samlView(created, issuer);
    },

    async patch(ctx: Context, connection: StoredConnection) {
      const parsed = samlConnectionPatch.safeParse(ctx.request.body);
      if (!parsed.success) deps.invalid(parsed.error);
      const { name, metadata_url: metadataUrl, metadata_xml: metadataXml, email_attribute: emailAttribute, encrypt_assertions: encrypt, ...changes } = parsed.data;
      const next: SamlConnectionSettings = { ...samlConnectionSettings.parse(connection.settings) };
      for (const [field, value] of Object.entries(changes)) if (value !== undefined) Object.assign(next, { [field]: value });
      if (changes.domains) {
        next.domains = [...new Set(changes.domains)];
        await deps.assertDomainsFree(next.domains, connection.id);
      }
      // Turning encryption on makes a key (kept while it stays on); off forgets it (the IdP must stop encrypting first).
      if (encrypt === true && !next.sp_encryption_key) Object.assign(next, await encryptionKey(connection.id));
      if (encrypt === false) {
        delete next.sp_encryption_key;
        delete next.sp_encryption_certificate;
      }
      if (emailAttribute === null) delete next.email_attribute;
      else if (emailAttribute !== undefined) next.email_attribute = emailAttribute;
      // New metadata (a rolled-over signing certificate, a moved SSO endpoint) is checked like at creation.
      if (metadataUrl !== undefined || metadataXml !== undefined) {
        next.idp = await importMetadata({ metadata_url: metadataUrl, metadata_xml: metadataXml });
        if (metadataUrl !== undefined) next.metadata_url = metadataUrl;
        else delete next.metadata_url;
      }
      const updated = await connections.update(connection.id, { name: name ?? connection.name, settings: next });
      if (!updated) throw new DomainError('not_found', 'no such connection');
      ctx.body = samlView(updated, issuer);
    },
  };
}
