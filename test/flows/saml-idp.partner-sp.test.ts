// Our SAML IdP role for a partner's SAML SP, checked by samlify playing the SP: SP- and IdP-initiated Web SSO, signed Responses, pairwise NameID, consented attributes, refusals.
import * as samlify from 'samlify';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { findForm, PASSWORD, signIn, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, exchange, registerClient } from '../support/oidc-client.ts';
import { selfSignedCertificate, validateWithXmllint } from '../support/saml-idp.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const { binding } = samlify.Constants.namespace;

describe.each(STORES)('our SAML IdP for a partner\'s SAML SP (%s)', (store) => {
  const fx = useMemberServer(store);
  // samlify as the SP checks our Responses against the SAML schemas.
  validateWithXmllint();
  let token = '';
  const admin = adminCaller(() => fx.server, () => token);
  const entityId = `https://sp-${store}.partner.test/metadata`;
  const acsUrl = `https://sp-${store}.partner.test/acs`;
  let partnerId: string;
  let spId: string;
  let initiateUrl: string;
  let idp: ReturnType<typeof samlify.IdentityProvider>;
  const sp = samlify.ServiceProvider({ entityID: entityId, assertionConsumerService: [{ Binding: binding.post, Location: acsUrl }], wantAssertionsSigned: true });

  beforeAll(async () => {
    token = await fx.server.adminToken();
    partnerId = ((await admin('POST', '/admin/partners', { name: 'Partner Air' })).body as unknown as { id: string }).id;
    const created = await admin('POST', '/admin/saml-service-providers', { name: 'Partner Air Staff', partner_id: partnerId, entity_id: entityId, acs_urls: [acsUrl], attributes: ['email', 'given_name', 'member_number'] });
    expect(created.status).toBe(201);
    const body = created.body as unknown as { id: string; idp_metadata_url: string; idp_initiated_url: string };
    spId = body.id;
    initiateUrl = body.idp_initiated_url;
    idp = samlify.IdentityProvider({ metadata: await (await fetch(body.idp_metadata_url)).text() });
  });

  /** The Response our return page auto-posts to the SP's ACS, checked by samlify (signature, issuer, audience, times). */
  async function responseOn(page: { body: string; status: number }) {
    expect(page.status).toBe(200);
    const form = findForm(page.body, acsUrl);
    return (await sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: form.hidden.SAMLResponse!, RelayState: form.hidden.RelayState ?? '' } })).extract as {
      nameID: string; attributes: Record<string, string>; response: { inResponseTo?: string }; audience: string;
    } & { relayState?: string };
  }

  test('SP-initiated: our sign-in and consent pages, then a signed Response with the partner\'s pairwise NameID and only the registered, consented attributes; IdP-initiated after', async () => {
    const ua = new UserAgent(fx.server.url);
    const { context: url, id } = sp.createLoginRequest(idp, 'redirect') as { context: string; id: string };
    const login = await ua.follow(`${url}&RelayState=back-to-${store}`);
    expect(login.body).toContain('name="password"');
    const email = uniqueEmail('saml-idp');
    const page = await signIn(ua, await signUpAndVerify(ua, login, fx.sink, email), email, PASSWORD);
    expect(page.body).toContain('data-auto-send');
    expect(findForm(page.body, acsUrl).hidden.RelayState).toBe(`back-to-${store}`);
    const extract = await responseOn(page);
    expect(extract.response.inResponseTo).toBe(id);
    expect(extract.audience).toBe(entityId);
    expect(Object.keys(extract.attributes).sort()).toEqual(['email', 'member_number']);
    expect(extract.attributes.email).toBe(email);

    // The NameID is what the partner's OIDC clients get as `sub` for this member: the same pairwise derivation.
    const partnerClient = await registerClient(fx.server, { partner_id: partnerId, subject_type: 'pairwise', scope: 'openid email' });
    const config = await discover(fx.server, partnerClient);
    const request = await authorizationRequest(config, { scope: 'openid' });
    let back = await ua.follow(request.url);
    if (back.status === 200 && back.body.includes('/consent"')) back = await ua.submit(back, '/consent', { decision: 'allow' });
    const sub = (await exchange(config, back.url, request)).claims()!.sub;
    expect(extract.nameID).toBe(sub);
    const account = (await fx.server.container.storage.accounts.findByEmail(email))!;
    expect(extract.nameID).not.toBe(account.id);

    // IdP-initiated: the signed-in member goes straight to the SP (consent remembered), no InResponseTo.
    const initiated = await responseOn(await ua.follow(initiateUrl));
    expect(initiated.nameID).toBe(sub);
    expect(initiated.response.inResponseTo).toBeFalsy();

    // Our SAML signing key is in the store, sealed: what a copy of the store holds is no usable key.
    const key = (await fx.server.container.storage.samlIdpKeys.current())!;
    expect(key.sealedPrivateKey).toEqual(expect.stringMatching(/^v1\./));
    expect(key.sealedPrivateKey).not.toContain('PRIVATE KEY');
  });

  test('an AuthnRequest from an unregistered SP, or naming an unregistered ACS, is refused', async () => {
    const stranger = samlify.ServiceProvider({ entityID: 'https://stranger.example/metadata', assertionConsumerService: [{ Binding: binding.post, Location: 'https://stranger.example/acs' }] });
    const ua = new UserAgent(fx.server.url);
    expect((await ua.follow((stranger.createLoginRequest(idp, 'redirect') as { context: string }).context)).status).toBe(400);
    const hijack = samlify.ServiceProvider({ entityID: entityId, assertionConsumerService: [{ Binding: binding.post, Location: 'https://attacker.example/acs' }] });
    expect((await ua.follow((hijack.createLoginRequest(idp, 'redirect') as { context: string }).context)).status).toBe(400);
  });

  test('an SP registered with a signing certificate: its unsigned AuthnRequest is refused, its signed one accepted', async () => {
    const { keyPem, certPem } = await selfSignedCertificate(`signed-sp-${store}`);
    const signedEntity = `https://signed-${store}.partner.test/metadata`;
    const signedAcs = `https://signed-${store}.partner.test/acs`;
    expect((await admin('POST', '/admin/saml-service-providers', { name: 'Signed SP', partner_id: partnerId, entity_id: signedEntity, acs_urls: [signedAcs], signing_certificate: certPem })).status).toBe(201);
    // Our metadata says requests need no signature (most SPs send none); this SP's registration says otherwise.
    const metadata = (await (await fetch(`${fx.server.url}/saml/idp/metadata`)).text()).replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="true"');
    const signedIdp = samlify.IdentityProvider({ metadata });
    const acs = [{ Binding: binding.post, Location: signedAcs }];
    const unsigned = samlify.ServiceProvider({ entityID: signedEntity, assertionConsumerService: acs });
    const signer = samlify.ServiceProvider({ entityID: signedEntity, assertionConsumerService: acs, authnRequestsSigned: true, privateKey: keyPem, signingCert: certPem });
    const ua = new UserAgent(fx.server.url);
    expect((await ua.follow((unsigned.createLoginRequest(idp, 'redirect') as { context: string }).context)).status).toBe(400);
    const accepted = await ua.follow((signer.createLoginRequest(signedIdp, 'redirect') as { context: string }).context);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toContain('name="password"');
  });

  test('the registration is readable and deletable; a second one of the same entity id is a conflict', async () => {
    expect((await admin('GET', `/admin/saml-service-providers/${spId}`)).body).toMatchObject({ entity_id: entityId, partner_id: partnerId, scopes: ['openid', 'email', 'profile', 'loyalty'] });
    expect((await admin('POST', '/admin/saml-service-providers', { name: 'Again', partner_id: partnerId, entity_id: entityId, acs_urls: [acsUrl] })).status).toBe(409);
    expect((await admin('POST', '/admin/saml-service-providers', { name: 'No partner', partner_id: 'nope', entity_id: 'https://x.example', acs_urls: [acsUrl] })).body?.details?.fields.partner_id).toBe('is not a partner');
  });
});
