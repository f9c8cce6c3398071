// saml connections (we are the SP) with samlify as the IdP: admin import and refusals, SP metadata, sign-up and sign-in through the IdP, POST binding, home-realm discovery.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exchange } from '../support/oidc-client.ts';
import { openLoginPage, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { selfSignedCertificate, startSamlIdp } from '../support/saml-idp.ts';
import { postToAcs, throughSaml, useSamlFederation } from '../support/saml-sp.ts';
import { findForm } from '../support/user-agent.ts';
import { STORES } from '../support/test-server.ts';

const CALLBACK = /^http:\/\/127\.0\.0\.1:9\/callback\?code=/;

describe.each(STORES)('saml connections (%s)', (store) => {
  const fx = useSamlFederation(store);
  const storage = () => fx.server.container.storage;

  test('creation answers the SP metadata URL and ACS; the metadata names our entity id, ACS and signed assertions', async () => {
    const connection = await fx.connect({ name: 'Acme SSO' });
    const read = await fx.admin('GET', `/admin/connections/${connection.id}`);
    expect(read.body).toMatchObject({ kind: 'saml', name: 'Acme SSO', idp_entity_id: fx.idp.entityId, idp_sso_bindings: ['HTTP-Redirect'], acs_url: connection.acsUrl, metadata_url: connection.metadataUrl });
    expect(connection.acsUrl).toBe(`${fx.server.url}/connections/${connection.id}/saml/acs`);
    expect(connection.spMetadata).toContain(`entityID="${connection.metadataUrl}"`);
    expect(connection.spMetadata).toContain(`Location="${connection.acsUrl}"`);
    expect(connection.spMetadata).toContain('WantAssertionsSigned="true"');
  });

  test.each([
    ['bad XML', () => ({ metadata_xml: '<EntityDescriptor' }), 'metadata_xml', /well-formed/],
    ['no signing certificate', () => ({ metadata_xml: fx.idp.metadataXml.replace(/<KeyDescriptor[\s\S]*?<\/KeyDescriptor>/g, '') }), 'metadata_xml', /signing certificate/],
    ['both XML and URL', () => ({ metadata_xml: fx.idp.metadataXml, metadata_url: 'https://idp.example/metadata' }), 'metadata_xml', /exactly one/],
  ])('refused at creation with the field named: %s', async (_name, fields, field, message) => {
    const response = await fx.admin('POST', '/admin/connections', { kind: 'saml', name: 'Broken', ...fields() });
    expect(response.status).toBe(400);
    expect(response.body?.details?.fields[field]).toMatch(message);
  });

  test('an IdP whose signing certificate expired is refused at creation', async () => {
    const { certPem } = await selfSignedCertificate('old', new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 86_400_000));
    const body = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const expired = fx.idp.metadataXml.replace(/<ds:X509Certificate>[^<]+<\/ds:X509Certificate>/, `<ds:X509Certificate>${body}</ds:X509Certificate>`);
    const response = await fx.admin('POST', '/admin/connections', { kind: 'saml', name: 'Expired', metadata_xml: expired });
    expect(response.status).toBe(400);
    expect(response.body?.details?.fields.metadata_xml).toMatch(/expired/);
  });

  test('PATCH imports new metadata (checked like at creation), turns encryption on, and lists with the oidc kinds', async () => {
    const connection = await fx.connect({ name: 'Rolling SSO' });
    const bad = await fx.admin('PATCH', `/admin/connections/${connection.id}`, { metadata_xml: '<nope' });
    expect(bad.status).toBe(400);
    expect(bad.body?.details?.fields.metadata_xml).toMatch(/well-formed/);
    const next = await startSamlIdp(`next-${store}`);
    const patched = await fx.admin('PATCH', `/admin/connections/${connection.id}`, { metadata_xml: next.metadataXml, name: 'Rolled SSO', encrypt_assertions: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Rolled SSO', idp_entity_id: next.entityId, encrypt_assertions: true });
    expect(await (await fetch(connection.metadataUrl)).text()).toMatch(/<KeyDescriptor use="encryption">/);
    const listed = await fx.admin('GET', '/admin/connections?limit=100');
    expect(listed.body?.items?.some((item) => item.id === connection.id && item.kind === 'saml')).toBe(true);
  });

  test('metadata by URL is fetched through the outbound client; an unreachable URL is refused with the field', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(fx.idp.metadataXml));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
      const created = await fx.admin('POST', '/admin/connections', { kind: 'saml', name: 'By URL', metadata_url: url });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ idp_entity_id: fx.idp.entityId, metadata_url_imported: url });
      const missing = await fx.admin('POST', '/admin/connections', { kind: 'saml', name: 'By URL', metadata_url: 'http://127.0.0.1:9/metadata' });
      expect(missing.status).toBe(400);
      expect(missing.body?.details?.fields.metadata_url).toMatch(/unreachable/);
    } finally {
      server.close();
    }
  });

  test('sign-up through the IdP (trusted email): a member is created, linked by NameID, mapped attributes fill the profile, back at the client with amr fed', async () => {
    const connection = await fx.connect({ trusted_email: true, claim_mapping: { given_name: 'givenName' } });
    const email = uniqueEmail('saml');
    const nameId = `staff-${randomUUID()}`;
    const { trip, page } = await throughSaml(fx, connection, { nameId, attributes: { mail: email, givenName: 'Ana' } });
    expect(page.url).toMatch(CALLBACK);
    const account = (await storage().accounts.findByEmail(email))!;
    expect(account).toMatchObject({ emailVerified: true });
    expect(await storage().federatedIdentities.find(connection.id, nameId)).toMatchObject({ accountId: account.id });
    expect((await storage().profiles.find(account.id)).fields.given_name?.value).toBe('Ana');
    expect((await exchange(fx.config, page.url, trip.request)).claims()!.amr).toEqual(['fed']);

    // Signing in again with the same NameID (another address at the IdP now): the same member, no second account.
    const again = await throughSaml(fx, connection, { nameId, attributes: { mail: uniqueEmail('changed') } });
    expect(again.page.url).toMatch(CALLBACK);
    expect(await storage().federatedIdentities.listByAccount(account.id)).toHaveLength(1);
  });

  test('an untrusted connection: our email code proves the address before the NameID is linked', async () => {
    const connection = await fx.connect({ trusted_email: false });
    const email = uniqueEmail('saml-untrusted');
    const nameId = `u-${randomUUID()}`;
    const { trip, page } = await throughSaml(fx, connection, { nameId, attributes: { email } });
    expect(page.url).toMatch(/\/verify$/);
    expect(await storage().federatedIdentities.find(connection.id, nameId)).toBeUndefined();
    // The code proves the address: only now is the NameID linked, and the member is back at the client.
    const code = await fx.sink.waitForCode(email);
    let done = await trip.ua.submit(page, '/verify', { code });
    if (done.status === 200 && done.body.includes('/consent"')) done = await trip.ua.submit(done, '/consent', { decision: 'allow' });
    expect(done.url).toMatch(CALLBACK);
    const account = (await storage().accounts.findByEmail(email))!;
    expect(await storage().federatedIdentities.find(connection.id, nameId)).toMatchObject({ accountId: account.id });
  });

  test('encrypted assertions: our SP metadata publishes an encryption certificate, and an encrypted signed assertion signs in', async () => {
    const connection = await fx.connect({ trusted_email: true, encrypt_assertions: true });
    expect(connection.spMetadata).toMatch(/<KeyDescriptor use="encryption">/);
    expect((await fx.admin('GET', `/admin/connections/${connection.id}`)).body).toMatchObject({ encrypt_assertions: true });
    // The key is sealed at rest: below the sealing layer (what a copy of the store holds) there is no PEM key.
    const inner = (storage().connections as unknown as { inner?: ReturnType<typeof storage>['connections'] }).inner!;
    const raw = await inner.find(connection.id);
    expect(JSON.stringify(raw)).not.toContain('PRIVATE KEY');
    expect(raw!.settings.sp_encryption_key_sealed).toEqual(expect.stringMatching(/^v1\./));
    expect((await storage().connections.find(connection.id))!.settings.sp_encryption_key).toContain('PRIVATE KEY');
    const email = uniqueEmail('saml-encrypted');
    const { page, answer } = await throughSaml(fx, connection, { nameId: `e-${randomUUID()}`, attributes: { mail: email } }, { encrypt: true });
    expect(Buffer.from(answer.SAMLResponse, 'base64').toString('utf8')).toContain('EncryptedAssertion');
    expect(page.url).toMatch(CALLBACK);
    expect(await storage().accounts.findByEmail(email)).toBeDefined();
  });

  test('an IdP offering only HTTP-POST gets the AuthnRequest by an auto-posted form', async () => {
    const postOnly = await startSamlIdp(`post-${store}`, { postOnly: true });
    const connection = await fx.connect({ trusted_email: true }, postOnly);
    const ua = new UserAgent(fx.server.url);
    const request = await authorizationRequest(fx.config);
    const formPage = await ua.submit(await openLoginPage(ua, request.url), `/connections/${connection.id}`);
    expect(formPage.status).toBe(200);
    expect(formPage.body).toContain('data-auto-send');
    const form = findForm(formPage.body, postOnly.ssoUrl);
    const email = uniqueEmail('saml-post');
    const answer = await postOnly.answer({ SAMLRequest: form.hidden.SAMLRequest!, RelayState: form.hidden.RelayState! }, connection.spMetadata, { nameId: `p-${randomUUID()}`, attributes: { mail: email } });
    expect((await postToAcs(ua, connection.acsUrl, answer)).url).toMatch(CALLBACK);
    expect(await storage().accounts.findByEmail(email)).toBeDefined();
  });

  test('the button says "Continue with <name>", and home-realm discovery sends a routed email to the IdP', async () => {
    const domain = `saml-${store}-${randomUUID().slice(0, 8)}.example`;
    await fx.connect({ name: 'Staff SSO', domains: [domain] });
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    expect(login.body).toContain('Continue with Staff SSO');
    const sent = await ua.submit(login, '/login', { email: `ana@${domain}`, password: '' });
    expect(sent.url.startsWith(`${fx.idp.ssoUrl}?SAMLRequest=`)).toBe(true);
  });
});
