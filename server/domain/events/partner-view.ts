// What a partner's webhook may see of an event: only its members' events of a few kinds, each needing the
// scope the member granted the partner, with the member as the partner's pairwise `sub` and other partners'
// details left out, so a subscription is never a side door to claims or to activity elsewhere in the program.
import type { DomainEvent, EventData } from './domain-event.ts';
import type { EventType } from './event-types.ts';

/** The scope a partner needs for each type it may receive (null: none beyond being linked); absent: never. */
const PARTNER_SCOPES: Partial<Record<EventType, string | null>> = {
  'member.email_verified': 'email',
  'member.phone_verified': 'phone',
  'member.profile_updated': 'profile',
  'member.deleted': null,
  'member.merged': null,
  'points.earned': 'loyalty',
  'points.redeemed': 'loyalty',
  'points.adjusted': 'loyalty',
  'coupon.redeemed': 'loyalty',
  // Purpose consents (issue 17): only to a partner the member granted the consents scope, as the claim is.
  'consent.changed': 'consents',
  'grant.revoked': null,
};

export function partnerMayReceive(type: EventType): boolean {
  return Object.hasOwn(PARTNER_SCOPES, type);
}

/** Whether a member who granted `scope` (space-separated) lets the partner see this event. */
export function partnerGranted(type: EventType, scope: string): boolean {
  const needed = PARTNER_SCOPES[type];
  if (needed === undefined) return false;
  return needed === null || scope.split(' ').includes(needed);
}

/** The event's data as the partner sees it: internal ids, another partner's id and its free text are dropped. */
export function partnerData(event: DomainEvent, partnerId: string): EventData {
  const data: EventData = { ...event.data };
  if ('partner_id' in data && data.partner_id !== partnerId) {
    delete data.partner_id;
    delete data.reason;
  }
  // Internal references: a ledger entry id may embed the member's internal id (the Mongo adapter's does).
  delete data.member_number;
  delete data.entry_id;
  // Which other partners an erased (or merged) member used is no partner's business.
  delete data.partner_ids;
  // A merged member's internal id: the partner gets its own pairwise sub of it instead (merged_sub).
  delete data.merged_member;
  return data;
}
