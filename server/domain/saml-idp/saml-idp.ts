// Our SAML 2.0 IdP role for partners' service providers, with samlify: metadata, AuthnRequest parsing (signature when required), signed Responses.
import { randomUUID } from 'node:crypto';
import type * as Samlify from 'samlify';
import { decrypt, encrypt } from '../../security/crypto.ts';
import { selfSignedRsaCertificate } from '../../security/self-signed-certificate.ts';
import { DomainError } from '../errors.ts';
import type { SamlIdpKeysRepository } from './saml-idp-keys.repository.ts';
import type { SamlServiceProviderSettings } from './saml-service-provider.ts';
import { samlifyLibrary } from './samlify-library.ts';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
/** How long the SP may accept our assertion: long enough for a slow form post, short against replay. */
const ASSERTION_LIFETIME_MS = 5 * 60 * 1000;
const KEY_PURPOSE = 'saml-idp-key';

export interface ParsedAuthnRequest {
  requestId: string;
  /** The ACS the request names, if any (checked against the registered ones by the caller). */
  acsUrl: string | undefined;
}

export interface SamlAnswer {
  /** Undefined for an IdP-initiated sign-in (no InResponseTo). */
  requestId: string | undefined;
  acsUrl: string;
  nameId: string;
  attributes: Record<string, string>;
  authnInstant: Date;
  authnContext: string;
}

const xmlText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class SamlIdp {
  private readonly keys: SamlIdpKeysRepository;
  private readonly sealKey: Buffer;
  private readonly issuer: string;
  private key: Promise<{ certificatePem: string; privateKeyPem: string }> | undefined;
  /** Built once per variant: samlify warns on stdout each time it builds an IdP without a logout endpoint. */
  private readonly entities = new Map<boolean, Promise<ReturnType<typeof Samlify.IdentityProvider>>>();

  constructor(deps: { keys: SamlIdpKeysRepository; sealKey: Buffer; issuer: string }) {
    this.keys = deps.keys;
    this.sealKey = deps.sealKey;
    this.issuer = deps.issuer;
  }

  get entityId(): string {
    return `${this.issuer}/saml/idp/metadata`;
  }

  get ssoUrl(): string {
    return `${this.issuer}/saml/idp/sso`;
  }

  /** The key made at first use and shared through the store (every instance signs with the same one). */
  private signingKey(): Promise<{ certificatePem: string; privateKeyPem: string }> {
    this.key ??= (async () => {
      let stored = await this.keys.current();
      if (!stored) {
        // One fixed id: instances racing at first use insert the same row, one wins, every one signs with it.
        const id = 'saml-idp-key-1';
        const made = await selfSignedRsaCertificate(`${this.issuer} SAML IdP`, 10);
        await this.keys.insertIfAbsent({ id, certificatePem: made.certificatePem, sealedPrivateKey: encrypt(this.sealKey, made.privateKeyPem, `${KEY_PURPOSE}:${id}`), createdAt: new Date() });
        stored = await this.keys.current();
      }
      if (!stored) throw new Error('SAML IdP key vanished');
      return { certificatePem: stored.certificatePem, privateKeyPem: decrypt(this.sealKey, stored.sealedPrivateKey, `${KEY_PURPOSE}:${stored.id}`) };
    })().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private idp(wantAuthnRequestsSigned: boolean): Promise<ReturnType<typeof Samlify.IdentityProvider>> {
    let entity = this.entities.get(wantAuthnRequestsSigned);
    if (!entity) {
      entity = this.buildIdp(wantAuthnRequestsSigned);
      entity.catch(() => this.entities.delete(wantAuthnRequestsSigned));
      this.entities.set(wantAuthnRequestsSigned, entity);
    }
    return entity;
  }

  private async buildIdp(wantAuthnRequestsSigned: boolean) {
    const samlify = await samlifyLibrary();
    const { binding } = samlify.Constants.namespace;
    const { certificatePem, privateKeyPem } = await this.signingKey();
    return samlify.IdentityProvider({
      entityID: this.entityId,
      signingCert: certificatePem,
      privateKey: privateKeyPem,
      wantAuthnRequestsSigned,
      nameIDFormat: [PERSISTENT],
      singleSignOnService: [{ Binding: binding.redirect, Location: this.ssoUrl }, { Binding: binding.post, Location: this.ssoUrl }],
    });
  }

  private async sp(settings: SamlServiceProviderSettings) {
    const samlify = await samlifyLibrary();
    const { binding } = samlify.Constants.namespace;
    return samlify.ServiceProvider({
      entityID: settings.entity_id,
      assertionConsumerService: settings.acs_urls.map((url) => ({ Binding: binding.post, Location: url })),
      ...(settings.signing_certificate ? { signingCert: settings.signing_certificate, authnRequestsSigned: true } : {}),
      wantAssertionsSigned: true,
      // Response and assertion both signed: SPs differ in which one they check.
      wantMessageSigned: true,
    });
  }

  async metadata(): Promise<string> {
    return (await this.idp(false)).getMetadata();
  }

  /** Parses (schema, and signature when the SP registered a certificate) an AuthnRequest of this SP. */
  async parseRequest(settings: SamlServiceProviderSettings, via: 'redirect' | 'post', request: { query?: Record<string, string>; body?: Record<string, string>; octetString?: string }): Promise<ParsedAuthnRequest> {
    let parsed;
    try {
      parsed = await (await this.idp(settings.signing_certificate !== undefined)).parseLoginRequest(await this.sp(settings), via, request);
    } catch (error) {
      throw new DomainError('invalid_input', `SAML AuthnRequest refused: ${String((error as Error)?.message ?? error).slice(0, 200)}`, { cause: error });
    }
    const extract = parsed.extract as { request?: { id?: string; assertionConsumerServiceUrl?: string }; issuer?: string };
    if (extract.issuer !== settings.entity_id) throw new DomainError('invalid_input', 'SAML AuthnRequest issuer is not the registered entity id');
    if (!extract.request?.id) throw new DomainError('invalid_input', 'SAML AuthnRequest has no ID');
    return { requestId: extract.request.id, acsUrl: extract.request.assertionConsumerServiceUrl || undefined };
  }

  /** A Response for the HTTP-POST binding: assertion and Response signed with our key (base64). */
  async respond(settings: SamlServiceProviderSettings, answer: SamlAnswer): Promise<string> {
    const samlify = await samlifyLibrary();
    const now = new Date();
    const later = new Date(now.getTime() + ASSERTION_LIFETIME_MS).toISOString();
    const attributes = Object.entries(answer.attributes).map(([name, value]) => `<saml:Attribute Name="${xmlText(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${xmlText(value)}</saml:AttributeValue></saml:Attribute>`).join('');
    const values: Record<string, string | undefined> = {
      ID: `_${randomUUID()}`,
      AssertionID: `_${randomUUID()}`,
      Destination: answer.acsUrl,
      Audience: settings.entity_id,
      SubjectRecipient: answer.acsUrl,
      Issuer: this.entityId,
      IssueInstant: now.toISOString(),
      StatusCode: samlify.Constants.StatusCode.Success,
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later,
      SubjectConfirmationDataNotOnOrAfter: later,
      NameIDFormat: PERSISTENT,
      NameID: answer.nameId,
      // Unsolicited (IdP-initiated): samlify drops the attribute when the value is undefined.
      InResponseTo: answer.requestId,
    };
    // samlify escapes every tag value; these two fragments are XML (their values escaped above).
    const authnStatement = `<saml:AuthnStatement AuthnInstant="${answer.authnInstant.toISOString()}" SessionIndex="_${randomUUID()}"><saml:AuthnContext><saml:AuthnContextClassRef>${xmlText(answer.authnContext)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
    const attributeStatement = attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '';
    const idp = await this.idp(false);
    const response = await idp.createLoginResponse(await this.sp(settings), { extract: { request: { id: answer.requestId ?? '' } } }, 'post', {}, {
      customTagReplacement: (template: string) => ({
        id: values.ID!,
        context: samlify.SamlLib.replaceTagsByValue(template.replace('{AuthnStatement}', authnStatement).replace('{AttributeStatement}', attributeStatement), values),
      }),
    });
    return response.context;
  }
}
