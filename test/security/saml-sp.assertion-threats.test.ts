// SAML assertion threats at our ACS (samlify as the IdP): signature wrapping, unsigned, wrong audience, expired, replayed, wrong InResponseTo, another connection's — each refused, no member created.
import { randomUUID } from 'node:crypto';
import { uniqueEmail } from '../support/member.ts';
import { startSamlIdp, type SamlIdp } from '../support/saml-idp.ts';
import { postToAcs, throughSaml, toIdp, useSamlFederation, type SamlConnection } from '../support/saml-sp.ts';
import { STORES } from '../support/test-server.ts';
import type { Page } from '../support/user-agent.ts';

const FAILED = 'couldn&#39;t sign you in with the other service';
const CALLBACK = /^http:\/\/127\.0\.0\.1:9\/callback\?code=/;
const refusedOnSignInPage = (page: Page) => page.status === 200 && page.body.includes(FAILED) && page.body.includes('name="password"');

const decode = (response: string) => Buffer.from(response, 'base64').toString('utf8');
const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

describe.each(STORES)('SAML assertion threats at the ACS (%s)', (store) => {
  const fx = useSamlFederation(store);
  let connection: SamlConnection;
  let other: SamlConnection;
  let rogue: SamlIdp;

  beforeAll(async () => {
    connection = await fx.connect({ name: 'Partner SSO', trusted_email: true });
    // A second connection trusting the very same IdP: only audience, recipient and request tell them apart.
    other = await fx.connect({ name: 'Other SSO', trusted_email: true });
    rogue = await startSamlIdp(`rogue-${store}`);
  });

  const storage = () => fx.server.container.storage;

  /** Nobody was created or linked from the answer. */
  async function nothingCreated(email: string, nameId: string): Promise<void> {
    expect(await storage().accounts.findByEmail(email)).toBeUndefined();
    expect(await storage().federatedIdentities.find(connection.id, nameId)).toBeUndefined();
    expect(await storage().federatedIdentities.find(other.id, nameId)).toBeUndefined();
  }

  /** Our AuthnRequest answered by `idp` for a fresh identity, with the given tweak to the answer before it is posted. */
  async function attempt(options: Parameters<SamlIdp['answer']>[3] & { idp?: SamlIdp; tamper?: (xml: string) => string } = {}) {
    const email = uniqueEmail('saml-threat');
    const nameId = `t-${randomUUID()}`;
    const trip = await toIdp(fx, connection);
    const answer = await (options.idp ?? fx.idp).answer(trip.authnRequest, connection.spMetadata, { nameId, attributes: { mail: email } }, options);
    const SAMLResponse = options.tamper ? encode(options.tamper(decode(answer.SAMLResponse))) : answer.SAMLResponse;
    const page = await postToAcs(trip.ua, connection.acsUrl, { SAMLResponse, RelayState: answer.RelayState });
    return { page, email, nameId };
  }

  test('the untouched answer signs in (the baseline the refusals below differ from)', async () => {
    const { page, email } = await attempt();
    expect(page.url).toMatch(CALLBACK);
    expect(await storage().accounts.findByEmail(email)).toBeDefined();
  });

  test.each([
    // XSW: a forged unsigned assertion beside the signed one (the signature still verifies over the original).
    ['a forged assertion added beside the signed one', (xml: string) => {
      const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
      const forged = signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace(/ID="[^"]+"/, 'ID="_forged"').replace(/<saml:NameID([^>]*)>[^<]*</, '<saml:NameID$1>victim<');
      return xml.replace(signed, forged + signed);
    }],
    // XSW: the signed assertion moved inside the forged one (into its Subject), the forged one at the top.
    ['the signed assertion wrapped inside a forged one', (xml: string) => {
      const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
      const forged = signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace(/ID="[^"]+"/, 'ID="_forged"').replace(/<saml:NameID([^>]*)>[^<]*</, '<saml:NameID$1>victim<');
      return xml.replace(signed, forged.replace('</saml:Subject>', `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">${signed}</saml:SubjectConfirmation></saml:Subject>`));
    }],
    // XSW: the signed assertion moved into the Response's Extensions, a forged unsigned one in its place.
    ['the signed assertion moved to Extensions', (xml: string) => {
      const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
      const forged = signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace(/<saml:NameID([^>]*)>[^<]*</, '<saml:NameID$1>victim<');
      return xml.replace(signed, forged).replace(/(<samlp:Response[^>]*>)/, `$1<samlp:Extensions>${signed}</samlp:Extensions>`);
    }],
    ['an attribute changed after signing', (xml: string) => xml.replace(/(<saml:AttributeValue[^>]*>)[^<]*/, '$1victim@example.com')],
    ['every signature removed', (xml: string) => xml.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '')],
  ])('signature wrapping or tampering is refused: %s', async (_name, tamper) => {
    const { page, email, nameId } = await attempt({ tamper });
    expect(refusedOnSignInPage(page)).toBe(true);
    await nothingCreated(email, nameId);
    expect(await storage().federatedIdentities.find(connection.id, 'victim')).toBeUndefined();
  });

  test('an unsigned assertion inside a signed Response is refused', async () => {
    const { page, email, nameId } = await attempt({ signAssertion: false, signResponse: true });
    expect(refusedOnSignInPage(page)).toBe(true);
    await nothingCreated(email, nameId);
  });

  test('an assertion signed by an IdP the connection does not trust is refused', async () => {
    const { page, email, nameId } = await attempt({ idp: rogue, tweaks: { Audience: connection.metadataUrl } });
    expect(refusedOnSignInPage(page)).toBe(true);
    await nothingCreated(email, nameId);
  });

  test.each([
    ['a wrong audience', () => ({ Audience: 'https://someone-else.example/sp' })],
    ['another connection\'s audience and recipient', () => ({ Audience: other.metadataUrl, SubjectRecipient: other.acsUrl, Destination: other.acsUrl })],
    ['a wrong SubjectConfirmation recipient', () => ({ SubjectRecipient: 'https://someone-else.example/acs' })],
    ['a wrong Destination', () => ({ Destination: 'https://someone-else.example/acs' })],
    ['an expired assertion (beyond the 2-minute skew)', () => ({ IssueInstant: minutes(-20), ConditionsNotBefore: minutes(-20), ConditionsNotOnOrAfter: minutes(-5), SubjectConfirmationDataNotOnOrAfter: minutes(-5) })],
    ['an assertion not valid yet (beyond the 2-minute skew)', () => ({ ConditionsNotBefore: minutes(5) })],
    ['a wrong InResponseTo', () => ({ InResponseTo: `_${randomUUID()}` })],
  ])('%s is refused', async (_name, tweaks) => {
    const { page, email, nameId } = await attempt({ tweaks: tweaks() });
    expect(refusedOnSignInPage(page)).toBe(true);
    await nothingCreated(email, nameId);
  });

  test('an assertion within the 2-minute skew is accepted', async () => {
    const { page } = await attempt({ tweaks: { ConditionsNotBefore: minutes(1) } });
    expect(page.url).toMatch(CALLBACK);
  });

  test('the answer to one tab\'s request posted with another tab\'s RelayState (InResponseTo of another request) is refused', async () => {
    const first = await toIdp(fx, connection);
    const second = await toIdp(fx, connection);
    const email = uniqueEmail('saml-tabs');
    const nameId = `t-${randomUUID()}`;
    const answer = await fx.idp.answer(first.authnRequest, connection.spMetadata, { nameId, attributes: { mail: email } });
    const secondRelayState = new URL(second.authnRequest).searchParams.get('RelayState')!;
    expect(refusedOnSignInPage(await postToAcs(second.ua, connection.acsUrl, { SAMLResponse: answer.SAMLResponse, RelayState: secondRelayState }))).toBe(true);
    await nothingCreated(email, nameId);
  });

  test('an answer for one connection posted to another connection\'s ACS is refused', async () => {
    const trip = await toIdp(fx, connection);
    const email = uniqueEmail('saml-mixup');
    const nameId = `t-${randomUUID()}`;
    const answer = await fx.idp.answer(trip.authnRequest, connection.spMetadata, { nameId, attributes: { mail: email } });
    expect(refusedOnSignInPage(await postToAcs(trip.ua, other.acsUrl, answer))).toBe(true);
    await nothingCreated(email, nameId);
    // And with a request of the other connection pending: its RelayState, this connection's assertion.
    const otherTrip = await toIdp(fx, other);
    const again = await fx.idp.answer(trip.authnRequest, connection.spMetadata, { nameId, attributes: { mail: email } });
    const otherRelayState = new URL(otherTrip.authnRequest).searchParams.get('RelayState')!;
    expect(refusedOnSignInPage(await postToAcs(otherTrip.ua, other.acsUrl, { SAMLResponse: again.SAMLResponse, RelayState: otherRelayState }))).toBe(true);
    await nothingCreated(email, nameId);
  });

  test('a replayed assertion is refused: posted again later, and posted twice at once', async () => {
    const email = uniqueEmail('saml-replay');
    const { trip, answer, page } = await throughSaml(fx, connection, { nameId: `r-${randomUUID()}`, attributes: { mail: email } });
    expect(page.url).toMatch(CALLBACK);
    const later = await postToAcs(trip.ua, connection.acsUrl, answer);
    expect(later.status).toBe(400);

    // Two posts of one answer racing: exactly one signs in (the request record or the replay cache stops the other).
    const racing = await toIdp(fx, connection);
    const raced = await fx.idp.answer(racing.authnRequest, connection.spMetadata, { nameId: `r-${randomUUID()}`, attributes: { mail: uniqueEmail('saml-race') } });
    const pages = await Promise.all([postToAcs(racing.ua.clone(), connection.acsUrl, raced), postToAcs(racing.ua.clone(), connection.acsUrl, raced)]);
    expect(pages.filter((result) => CALLBACK.test(result.url))).toHaveLength(1);
  });

  test('an unsolicited (IdP-initiated) Response, with no pending request, is refused', async () => {
    const trip = await toIdp(fx, connection);
    const answer = await fx.idp.answer(trip.authnRequest, connection.spMetadata, { nameId: `u-${randomUUID()}`, attributes: { mail: uniqueEmail('saml-unsolicited') } });
    const page = await postToAcs(trip.ua, connection.acsUrl, { SAMLResponse: answer.SAMLResponse, RelayState: '' });
    expect(page.status).toBe(400);
  });
});
