// Consent receipts (issue 17 item 3): the Kantara Initiative Consent Receipt v1.1 fields where they fit, signed
// as a compact JWS (a JWT) with the provider's current RS256 key, so anyone can check one against our JWKS.
import { importJWK, SignJWT } from 'jose';
import type { SigningKeys } from '../keys/key-service.ts';
import type { ConsentContext } from './purpose-consent-service.ts';

export const RECEIPT_SPEC_VERSION = 'KI-CR-v1.1.0';
/** The laws of the program's markets (issue 17): GDPR (France, Poland), LGPD (Brazil), LFPDPPP (Mexico), CCPA. */
const JURISDICTION = 'EU GDPR; BR LGPD; MX LFPDPPP; US-CA CCPA';

/** What each collection method is called in a receipt (collectionMethod is free text in the specification). */
const COLLECTION_METHODS: Record<ConsentContext['method'], string> = {
  sign_up: 'checkbox at sign-up',
  account_page: 'account page',
  prompt: 'prompt before continuing to an app',
  partner_api: 'given at a partner\'s counter (partner API)',
  import: 'imported from the previous program',
  merge: 'the stricter answer of two merged duplicate members',
};

export type ReceiptPayload = Record<string, unknown>;

export interface ReceiptSigner {
  sign(payload: ReceiptPayload): Promise<string>;
}

export function receiptPayload(input: {
  receiptId: string;
  accountId: string;
  at: Date;
  context: ConsentContext;
  controller: { name: string; url: string };
  policyUrl: string;
  decisions: Array<{ purpose: string; version: number; granted: boolean; title: string }>;
}): ReceiptPayload {
  return {
    version: RECEIPT_SPEC_VERSION,
    jurisdiction: JURISDICTION,
    consentTimestamp: Math.floor(input.at.getTime() / 1000),
    collectionMethod: `${COLLECTION_METHODS[input.context.method]} (${input.context.channel})`,
    consentReceiptID: input.receiptId,
    language: 'en',
    // The member's public (non-pairwise) sub: what the admin API names them by.
    piiPrincipalId: input.accountId,
    piiControllers: [{ piiController: input.controller.name, url: input.controller.url }],
    policyUrl: input.policyUrl,
    services: [{
      service: input.controller.name,
      purposes: input.decisions.map((decision) => ({
        purpose: decision.title,
        purposeId: decision.purpose,
        purposeVersion: decision.version,
        consentGranted: decision.granted,
        // Explicit: each purpose is its own checkbox or button, unticked until the member acts.
        consentType: 'EXPLICIT',
        purposeCategory: [decision.purpose],
        primaryPurpose: false,
        termination: 'Until withdrawn by the member (one click on the account page) or the account is deleted.',
        thirdPartyDisclosure: decision.purpose === 'partner_sharing',
      })),
    }],
    sensitive: false,
    spiCat: [],
    ...(input.context.clientId ? { clientId: input.context.clientId } : {}),
  };
}

/** Signs with the RS256 key that signs ID tokens right now (every relying party can verify RS256). */
export function jwsReceiptSigner(keys: SigningKeys, issuer: string): ReceiptSigner {
  return {
    async sign(payload) {
      const snapshot = keys.snapshot();
      const kid = snapshot.signing.RS256;
      const jwk = snapshot.keys.find((key) => key.kid === kid);
      if (!kid || !jwk) throw new Error('no RS256 signing key to sign the consent receipt');
      const key = await importJWK(jwk, 'RS256');
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setIssuedAt(typeof payload.consentTimestamp === 'number' ? payload.consentTimestamp : undefined)
        .setJti(String(payload.consentReceiptID))
        .sign(key);
    },
  };
}
