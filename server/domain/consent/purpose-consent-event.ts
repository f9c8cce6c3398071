// The consent.changed event of a purpose consent record: which purpose, which version, granted or not, how and
// through which client; never the member's contact details (the event names the member by id only).
import { eventId, type DomainEvent } from '../events/domain-event.ts';
import type { PurposeConsentRecord } from './purpose-consents.repository.ts';

export function purposeConsentChangedEvent(record: PurposeConsentRecord): DomainEvent {
  return {
    id: eventId(record.at),
    type: 'consent.changed',
    time: record.at,
    memberId: record.accountId,
    data: {
      purpose: record.purpose,
      version: record.version,
      granted: record.granted,
      channel: record.channel,
      method: record.method,
      client_id: record.clientId,
      receipt_id: record.receiptId,
    },
  };
}
