// The production check samlify runs before reading a SAML message: well-formed, no DTD, bounded.
import { UpstreamSaml } from '../connections/upstream-saml.ts';
import { samlXmlGuard } from './saml-xml-guard.ts';

describe('SAML XML guard', () => {
  test('a well-formed message passes', async () => {
    await expect(samlXmlGuard.validate('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>')).resolves.toBe('SUCCESS_VALIDATE_XML');
  });

  test('a real AuthnRequest (as node-saml makes ours) passes', async () => {
    const request = await new UpstreamSaml('https://id.example').begin('c1', {
      idp: { entity_id: 'https://idp.example', sso_post: 'https://idp.example/sso', signing_certificates: ['unused'] },
      claim_mapping: {}, trusted_email: false, trusted_mfa: false, domains: [],
    }, '_abc', 'relay');
    if (request.binding !== 'post') throw new Error('expected the POST binding');
    await expect(samlXmlGuard.validate(Buffer.from(request.fields.SAMLRequest, 'base64').toString('utf8'))).resolves.toBe('SUCCESS_VALIDATE_XML');
  });

  test.each([
    ['two root elements', '<a/><b/>'],
    ['a DTD with an entity (billion laughs)', '<!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>'],
    ['malformed XML', '<a><b></a>'],
    ['an oversized message', `<a>${'x'.repeat(300 * 1024)}</a>`],
  ])('%s is refused', async (_name, xml) => {
    await expect(samlXmlGuard.validate(xml)).rejects.toThrow(/ERR_XML/);
  });
});
