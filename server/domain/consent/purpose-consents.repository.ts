// Port: members' purpose consents (marketing email, profiling, partner sharing, ... and the terms), kept as an
// append-only history of grants and refusals with the signed receipt of each change. Not the OAuth scope consent
// remembered per client (consents.repository.ts): a purpose is the program's use of data, whoever asks.
import type { DomainEvent } from '../events/domain-event.ts';

export const CONSENT_CHANNELS = ['web', 'app', 'kiosk', 'partner', 'import'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** How the answer was given: a sign-up checkbox, the account page, an interaction prompt, a partner's counter, an import, a merge (issue 21: the stricter of two duplicates' answers). */
export const CONSENT_METHODS = ['sign_up', 'account_page', 'prompt', 'partner_api', 'import', 'merge'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export interface PurposeConsentRecord {
  id: string;
  accountId: string;
  /** A purpose id of the catalogue, or `terms` (the terms acceptance). */
  purpose: string;
  version: number;
  granted: boolean;
  at: Date;
  channel: ConsentChannel;
  /** The client the member used (or the partner's client); null on the account pages and for imports. */
  clientId: string | null;
  method: ConsentMethod;
  /** The receipt of the change this record is part of. */
  receiptId: string;
}

export interface ConsentReceipt {
  /** consentReceiptID: a random UUID. */
  id: string;
  accountId: string;
  issuedAt: Date;
  /** The receipt as a compact JWS signed with the provider's keys; null once the member is erased. */
  jws: string | null;
  /** What it records, without the person (what erasure keeps). */
  decisions: Array<{ purpose: string; version: number; granted: boolean }>;
  method: ConsentMethod;
}

export interface PurposeConsentsRepository {
  /**
   * One change: its records, its receipt and its consent.changed events, written together (SQLite: one
   * transaction; Mongo: events pending until the receipt and records are in, recovered on the receipt).
   */
  record(change: { records: readonly PurposeConsentRecord[]; receipt: ConsentReceipt; events: readonly DomainEvent[] }): Promise<void>;
  /** The member's records, oldest first. */
  listRecords(accountId: string): Promise<PurposeConsentRecord[]>;
  /** The member's receipts, newest first. */
  listReceipts(accountId: string): Promise<ConsentReceipt[]>;
  findReceipt(accountId: string, id: string): Promise<ConsentReceipt | undefined>;
}
