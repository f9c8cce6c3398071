// Port: what the "Apps and partners" page reads and changes in one place: when a member last used each client,
// the consent memory and partner links it lists, and "Stop sharing" (those rows gone, its event written with them).
import type { DomainEvent } from '../events/domain-event.ts';
import type { PartnerMemberLink } from '../partners/partners.repository.ts';
import type { StoredConsent } from './consents.repository.ts';

export interface ClientUse {
  accountId: string;
  clientId: string;
  /** The first sign-in or token of this client for the member since they last stopped sharing with it. */
  firstUsedAt: Date;
  lastUsedAt: Date;
}

export interface Withdrawal {
  accountId: string;
  /** The clients the member stops sharing with (one, or every client of one partner). */
  clientIds: readonly string[];
  /** Their partner, whose link (what the partner API finds the member by) goes too; null for a lone client. */
  partnerId: string | null;
  /** `grant.revoked` per client: written in the same transaction as the rows go (or at its recoverable step). */
  events: readonly DomainEvent[];
}

export interface AppSharingRepository {
  /** The member signed in to or got tokens for the client at `at` (one upsert; first use kept). */
  recordUse(accountId: string, clientId: string, at: Date): Promise<void>;
  listUses(accountId: string): Promise<ClientUse[]>;
  /** The member's consent memory for every client (consents.repository.ts keeps it one client at a time). */
  listConsents(accountId: string): Promise<StoredConsent[]>;
  /** Every partner the partner API lets see the member. */
  listPartnerLinks(accountId: string): Promise<PartnerMemberLink[]>;
  /** Stop sharing: the consent memory and use rows of the clients and the partner's link go, with the events. */
  withdraw(withdrawal: Withdrawal): Promise<void>;
}
