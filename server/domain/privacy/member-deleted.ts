// The one place a member's erasure is announced: the admin-visible audit record today, and the `member.deleted`
// event of the events outbox (issue "events") once it lands — add its emit call in announceMemberDeleted, nowhere else.
import type { AuditLog } from '../audit/audit-log.ts';

export type ErasureActor = 'member' | 'admin' | 'schedule';

export interface MemberDeletedEvent {
  /** Random id that replaced the account id in what accounting keeps; links to no person. */
  tombstone: string;
  at: Date;
  by: ErasureActor;
  /** The partners the member had signed in to, with the pairwise `sub` each knew them by (captured before erasure). */
  partners: Array<{ partnerId: string; subject: string }>;
  /** The clients sent a back-channel logout. */
  clientIds: string[];
}

export type AnnounceMemberDeleted = (event: MemberDeletedEvent) => Promise<void>;

export function announceMemberDeleted(audit: Pick<AuditLog, 'record'>): AnnounceMemberDeleted {
  return async (event) => {
    // No account id and nothing personal: the record must survive the erasure it describes.
    await audit.record({
      type: 'member.deleted',
      accountId: null,
      reason: event.by,
      details: { tombstone: event.tombstone, partners: event.partners.length, clients_logged_out: event.clientIds.length },
    });
    // The `member.deleted` outbox event is written with the erasure itself (MemberErasure.erase → eraseMember).
  };
}
