// samlify, loaded at its first use with its message check set: a deployment without SAML does not keep it resident.
import type * as Samlify from 'samlify';

let loading: Promise<typeof Samlify> | undefined;

/**
 * The samlify module, ready to read messages. Loaded on demand rather than at boot: with xml-crypto and its XML
 * stack, SAML holds ~6 MB of resident memory (measured) that most deployments, which have no SAML partner, never use.
 */
export function samlifyLibrary(): Promise<typeof Samlify> {
  // The guard too: it brings @xmldom/xmldom.
  loading ??= Promise.all([import('samlify'), import('./saml-xml-guard.ts')]).then(([samlify, { samlXmlGuard }]) => {
    // samlify refuses to read any message until a check is set (saml-xml-guard.ts says which and why).
    samlify.setSchemaValidator(samlXmlGuard);
    return samlify;
  });
  return loading;
}
