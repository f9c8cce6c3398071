// samlify playing the upstream SAML IdP of a saml connection (an implementation nobody here wrote), with its own key and certificate.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as validator from '@authenio/samlify-node-xmllint';
import * as samlify from 'samlify';

/**
 * In tests every SAML message, ours included, is checked against the SAML XML schemas (xmllint): set once our
 * server is loaded, which sets its own lighter guard at import (server/domain/saml-idp/saml-xml-guard.ts).
 */
export function validateWithXmllint(): void {
  beforeAll(() => samlify.setSchemaValidator(validator));
}
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/** A fresh RSA key and a self-signed certificate valid from `notBefore` to `notAfter` (PEM). */
export async function selfSignedCertificate(name: string, notBefore = new Date(Date.now() - 86_400_000), notAfter = new Date(Date.now() + 365 * 86_400_000)): Promise<{ keyPem: string; certPem: string }> {
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: `CN=${name}`, notBefore, notAfter, signingAlgorithm: RSA, keys: keys as unknown as CryptoKeyPair });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`, certPem: certificate.toString('pem') };
}

export interface SamlUser {
  nameId: string;
  attributes?: Record<string, string>;
}

/** Values of samlify's default login-response template a test may override (times as ISO strings). */
export type ResponseTweaks = Partial<Record<'Audience' | 'Destination' | 'SubjectRecipient' | 'InResponseTo' | 'ConditionsNotBefore' | 'ConditionsNotOnOrAfter' | 'SubjectConfirmationDataNotOnOrAfter' | 'IssueInstant' | 'AssertionID', string>>;

export interface AnswerOptions {
  tweaks?: ResponseTweaks;
  /** Sign the assertion (default) and/or the whole Response. */
  signAssertion?: boolean;
  signResponse?: boolean;
  /** Encrypt the (signed) assertion to the encryption certificate in our SP metadata. */
  encrypt?: boolean;
}

export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  metadataXml: string;
  /**
   * Our AuthnRequest (the redirect URL, or the fields of the HTTP-POST page), parsed and schema-checked by
   * samlify, answered for `user` with a Response for the HTTP-POST binding.
   */
  answer(authnRequest: string | { SAMLRequest: string; RelayState: string }, spMetadataXml: string, user: SamlUser, options?: AnswerOptions): Promise<{ SAMLResponse: string; RelayState: string; acsUrl: string; requestId: string }>;
}

const xmlText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** samlify's IdP with a redirect-binding SSO URL under a made-up host (tests hand the redirect to it directly). */
export async function startSamlIdp(name = 'idp', options: { postOnly?: boolean } = {}): Promise<SamlIdp> {
  const { keyPem, certPem } = await selfSignedCertificate(name);
  const entityId = `https://${name}.saml.test/metadata`;
  const ssoUrl = `https://${name}.saml.test/sso`;
  const binding = options.postOnly ? samlify.Constants.namespace.binding.post : samlify.Constants.namespace.binding.redirect;
  const settings = { entityID: entityId, signingCert: certPem, privateKey: keyPem, wantAuthnRequestsSigned: false, singleSignOnService: [{ Binding: binding, Location: ssoUrl }] };
  const idp = samlify.IdentityProvider(settings);
  // The same IdP, encrypting assertions (samlify decides it per IdP entity).
  const encryptingIdp = samlify.IdentityProvider({ ...settings, isAssertionEncrypted: true });
  return {
    entityId,
    ssoUrl,
    metadataXml: idp.getMetadata(),
    async answer(authnRequest, spMetadataXml, user, answerOptions = {}) {
      const signAssertion = answerOptions.signAssertion ?? true;
      const metadata = signAssertion ? spMetadataXml : spMetadataXml.replace('WantAssertionsSigned="true"', 'WantAssertionsSigned="false"');
      const sp = samlify.ServiceProvider({ metadata, wantMessageSigned: answerOptions.signResponse ?? false });
      const query: Record<string, string> = typeof authnRequest === 'string' ? Object.fromEntries(new URL(authnRequest).searchParams) : authnRequest;
      const request = typeof authnRequest === 'string'
        ? await idp.parseLoginRequest(sp, 'redirect', { query })
        : await idp.parseLoginRequest(sp, 'post', { body: authnRequest });
      const requestId = String((request.extract as { request: { id: string } }).request.id);
      const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(request.samlContent)?.[1] ?? '';
      const now = new Date();
      const later = new Date(now.getTime() + 5 * 60_000).toISOString();
      const attributes = Object.entries(user.attributes ?? {}).map(([attribute, value]) => `<saml:Attribute Name="${xmlText(attribute)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${xmlText(value)}</saml:AttributeValue></saml:Attribute>`).join('');
      const values = {
        ID: `_${webcrypto.randomUUID()}`,
        AssertionID: `_${webcrypto.randomUUID()}`,
        Destination: acsUrl,
        Audience: /entityID="([^"]+)"/.exec(spMetadataXml)?.[1] ?? '',
        SubjectRecipient: acsUrl,
        Issuer: entityId,
        IssueInstant: now.toISOString(),
        StatusCode: samlify.Constants.StatusCode.Success,
        ConditionsNotBefore: now.toISOString(),
        ConditionsNotOnOrAfter: later,
        SubjectConfirmationDataNotOnOrAfter: later,
        NameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        NameID: user.nameId,
        InResponseTo: requestId,
        ...answerOptions.tweaks,
      };
      // samlify escapes every tag value: the two XML fragments go in first, as they are.
      const fragments = {
        AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
        AttributeStatement: attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '',
      };
      const response = await (answerOptions.encrypt ? encryptingIdp : idp).createLoginResponse(sp, { ...request }, 'post', {}, {
        relayState: query.RelayState,
        customTagReplacement: (template: string) => ({
          id: values.ID,
          context: samlify.SamlLib.replaceTagsByValue(template.replace('{AuthnStatement}', fragments.AuthnStatement).replace('{AttributeStatement}', fragments.AttributeStatement), values),
        }),
      });
      return { SAMLResponse: response.context, RelayState: query.RelayState ?? '', acsUrl, requestId };
    },
  };
}
