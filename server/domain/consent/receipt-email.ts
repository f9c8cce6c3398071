// A consent receipt for the member: the downloadable document (the JWS and its readable payload) and the
// localised email that carries it on request.
import { decodeJwt } from 'jose';
import { translate } from '../../i18n/messages.ts';
import type { OutgoingEmail } from '../mail/mailer.ts';
import type { ConsentReceipt } from './purpose-consents.repository.ts';

/** What the download holds: verify `jws` against the issuer's JWKS; `receipt` is its payload, for reading. */
export function receiptDocument(receipt: ConsentReceipt): { consentReceiptID: string; jws: string | null; receipt: Record<string, unknown> | null } {
  return { consentReceiptID: receipt.id, jws: receipt.jws, receipt: receipt.jws ? decodeJwt(receipt.jws) : null };
}

export function consentReceiptEmail(to: string, lang: string, receipt: ConsentReceipt, link: string, title: (purpose: string) => string): OutgoingEmail {
  const choices = receipt.decisions
    .map((decision) => `- ${decision.purpose === 'terms' ? translate(lang, 'email.consent_receipt.terms') : title(decision.purpose)}: ${translate(lang, decision.granted ? 'email.consent_receipt.granted' : 'email.consent_receipt.refused')}`)
    .join('\n');
  return {
    to,
    subject: translate(lang, 'email.consent_receipt.subject'),
    text: translate(lang, 'email.consent_receipt.text', { date: receipt.issuedAt, choices, link, jws: receipt.jws ?? '' }),
  };
}
