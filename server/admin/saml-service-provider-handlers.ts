// Admin API for partners' SAML service providers (we are their IdP): each rides on an OIDC client of its partner's sector.
import type { Context } from 'koa';
import type { ClientMetadata } from 'oidc-provider';
import type { ClientsRepository, StoredClient } from '../domain/clients/clients.repository.ts';
import { DomainError } from '../domain/errors.ts';
import type { PartnersRepository } from '../domain/partners/partners.repository.ts';
import { samlClientId, samlServiceProviderInput, samlServiceProviderSettings, scopesFor } from '../domain/saml-idp/saml-service-provider.ts';
import { fieldErrors } from './client-input.ts';

export interface SamlServiceProviderHandlerDeps {
  clients: ClientsRepository;
  partners: PartnersRepository;
  issuer: string;
}

function view(client: StoredClient, issuer: string) {
  const settings = samlServiceProviderSettings.parse(client.metadata.saml_sp);
  return {
    id: client.clientId,
    name: client.metadata.client_name,
    partner_id: client.metadata.partner_id,
    entity_id: settings.entity_id,
    acs_urls: settings.acs_urls,
    signed_requests_required: settings.signing_certificate !== undefined,
    attributes: settings.attributes,
    scopes: scopesFor(settings),
    idp_metadata_url: `${issuer}/saml/idp/metadata`,
    idp_sso_url: `${issuer}/saml/idp/sso`,
    idp_initiated_url: `${issuer}/saml/idp/initiate/${encodeURIComponent(client.clientId)}`,
  };
}

export function samlServiceProviderHandlers(deps: SamlServiceProviderHandlerDeps) {
  async function load(ctx: Context): Promise<StoredClient> {
    const client = await deps.clients.find(String(ctx.params.id));
    if (!client || !samlServiceProviderSettings.safeParse(client.metadata.saml_sp).success) throw new DomainError('not_found', 'no such SAML service provider');
    return client;
  }

  return {
    async create(ctx: Context) {
      const parsed = samlServiceProviderInput.safeParse(ctx.request.body);
      if (!parsed.success) {
        const fields = fieldErrors(parsed.error);
        throw new DomainError('invalid_input', `invalid SAML service provider: ${Object.entries(fields).map(([field, message]) => `${field} ${message}`).join('; ')}`, { details: { fields } });
      }
      const { name, partner_id: partnerId, entity_id: entityId, acs_urls: acsUrls, signing_certificate: certificate, attributes } = parsed.data;
      if (!(await deps.partners.find(partnerId))) throw new DomainError('invalid_input', 'invalid SAML service provider: partner_id is not a partner', { details: { fields: { partner_id: 'is not a partner' } } });
      const clientId = samlClientId(entityId);
      if (await deps.clients.find(clientId)) throw new DomainError('conflict', 'a SAML service provider with this entity id exists', { details: { fields: { entity_id: 'is already registered' } } });
      // A public client (PKCE) whose only redirect URI is our own return endpoint: the code never leaves this
      // server. Pairwise in the partner's sector: the NameID is the partner's OIDC `sub` for the member.
      const metadata = {
        client_id: clientId,
        client_name: name,
        application_type: 'web',
        redirect_uris: [`${deps.issuer}/saml/idp/return`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
        subject_type: 'pairwise',
        partner_id: partnerId,
        saml_sp: { entity_id: entityId, acs_urls: acsUrls, ...(certificate ? { signing_certificate: certificate } : {}), attributes },
      } as ClientMetadata;
      const stored = await deps.clients.create(metadata);
      ctx.status = 201;
      ctx.set('Location', `/admin/saml-service-providers/${encodeURIComponent(stored.clientId)}`);
      ctx.body = view(stored, deps.issuer);
    },

    async read(ctx: Context) {
      ctx.body = view(await load(ctx), deps.issuer);
    },

    async remove(ctx: Context) {
      const client = await load(ctx);
      await deps.clients.delete(client.clientId);
      ctx.status = 204;
    },
  };
}
