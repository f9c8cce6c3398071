// The consent.changed event of a purpose consent record: which purpose, which version, granted or not, and how;
// not the client (a partner's webhook must not learn which other clients the member uses) nor any contact detail.
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
    },
  };
}
