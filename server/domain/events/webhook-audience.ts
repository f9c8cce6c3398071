// Whether a webhook gets an event, and under which `sub`: the public one (the member id) for the program's own
// webhooks; for a partner's, the partner's pairwise sub of a member linked to it who granted what the type needs
// (or, for grant.revoked, of the member who stopped sharing with that very partner; for member.deleted, of a member
// who had used that partner; for member.merged, of a survivor either of whose members had).
import { pairwiseSubject } from '../../../config/pairwise.ts';
import type { PartnersRepository } from '../partners/partners.repository.ts';
import type { DomainEvent } from './domain-event.ts';
import { partnerGranted } from './partner-view.ts';
import type { Webhook } from './webhooks.repository.ts';

export interface Audience {
  partners: Pick<PartnersRepository, 'findLink'>;
  pairwiseSalt: Buffer;
}

/** The `sub` this webhook sees the event's member as (null for an event without one), or undefined: not for it. */
export async function subjectFor(webhook: Webhook, event: DomainEvent, audience: Audience): Promise<string | null | undefined> {
  if (!webhook.events.includes(event.type)) return undefined;
  if (webhook.partnerId === null) return event.memberId;
  if (event.memberId === null) return undefined;
  const subject = pairwiseSubject(audience.pairwiseSalt, `partner:${webhook.partnerId}`, event.memberId);
  // A revocation is the business of the partner it revokes only (to another it would tell where else the member
  // goes); the member's link to that partner went with the grant, so it is told by the sub it knew, without one.
  if (event.type === 'grant.revoked') return event.data.partner_id === webhook.partnerId ? subject : undefined;
  // An erasure took the member's links with it: the event names the partners the member used. A merge names the
  // partners either member used (issue 21): each hears of it under the survivor's sub (see mergedSubject).
  if (event.type === 'member.deleted' || event.type === 'member.merged') {
    const partners = event.data.partner_ids;
    return Array.isArray(partners) && partners.includes(webhook.partnerId) ? subject : undefined;
  }
  const link = await audience.partners.findLink(webhook.partnerId, subject);
  if (!link || !partnerGranted(event.type, link.scope)) return undefined;
  return subject;
}

/** For member.merged, the absorbed member's old sub as this partner knew it (`merged_sub`); {} for other events. */
export function mergedSubject(partnerId: string, event: DomainEvent, audience: Pick<Audience, 'pairwiseSalt'>): { merged_sub?: string } {
  const merged = event.data.merged_member;
  if (event.type !== 'member.merged' || typeof merged !== 'string') return {};
  return { merged_sub: pairwiseSubject(audience.pairwiseSalt, `partner:${partnerId}`, merged) };
}
