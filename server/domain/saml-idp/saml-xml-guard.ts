// samlify's message check in production: well-formed XML with one root, no DTD or entities, bounded size (instead of an XML-schema run).
import { DOMParser } from '@xmldom/xmldom';

/** AuthnRequests are a few kB; Responses with certificates and encrypted assertions stay far below this. */
const MAX_XML_CHARS = 256 * 1024;

/**
 * Why not the xmllint schema validator (@authenio/samlify-node-xmllint) here: it takes ~370 ms of CPU per
 * message and adds process listeners on every call (measured), on endpoints anyone can post to. What a schema
 * run defends against in samlify (signature-wrapping shapes, DTD tricks) is covered by xml-crypto's
 * reference checks, by refusing DTDs here, and by our own checks of the few values we read. The tests run
 * the xmllint validator over every message we emit, so what we send stays schema-valid.
 */
export const samlXmlGuard = {
  async validate(xml: string): Promise<string> {
    if (typeof xml !== 'string' || xml.length > MAX_XML_CHARS) throw new Error('ERR_XML_TOO_LARGE');
    // DTDs carry entity expansion (billion laughs) and external references: never in a SAML message.
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('ERR_XML_DTD');
    const problems: string[] = [];
    // xmldom repairs mismatched tags with only a warning: any complaint at all refuses the message.
    const document = new DOMParser({ errorHandler: (_level: string, message: string) => problems.push(message) }).parseFromString(xml, 'text/xml');
    if (problems.length || !document?.documentElement) throw new Error('ERR_XML_MALFORMED');
    return 'SUCCESS_VALIDATE_XML';
  },
};
