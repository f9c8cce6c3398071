// A domain event as the outbox holds it, its time-ordered id, and the typed constructors each change uses,
// so both adapters write the same event for the same change (data never holds a secret or a credential).
import { hash, randomBytes } from 'node:crypto';
import type { AuditEvent } from '../audit/audit.repository.ts';
import type { LedgerEntry, Member, SignUpMethod } from '../loyalty/loyalty.repository.ts';
import type { EventType } from './event-types.ts';

/** Flat JSON values: every field is a claim-free fact about the change (no email, no code, no token). */
export type EventData = Record<string, string | number | boolean | null | readonly string[]>;

export interface DomainEvent {
  /** UUIDv7: ids sort in the order of their time, so the relay reads the outbox oldest first. */
  id: string;
  type: EventType;
  time: Date;
  /** The member's internal id (its public `sub`); a partner's webhook gets its pairwise `sub` at delivery. */
  memberId: string | null;
  data: EventData;
}

let lastMs = 0;
let counter = 0;

/**
 * UUIDv7 (RFC 9562): 48-bit milliseconds, then 74 bits. Without `derived` they are random, and within one
 * millisecond of one process the 12-bit rand_a is a counter, so this process's ids stay in order. With `derived`
 * the bits come from its key, so a change written twice (a replayed post, a recovery) yields the same id and the
 * outbox keeps it once; rand_a is then its `order` (a ledger entry's sequence), so a member's events written in
 * one millisecond still sort in the order they happened.
 */
export function eventId(time: Date, derived?: { key: string; order: number }): string {
  const ms = time.getTime();
  if (derived !== undefined && ms >= 0 && ms <= 0xffffffffffff) {
    // The same bits as below, spelled from the digest's hex without a Buffer: a million-member import makes 2M ids.
    const digest = hash('sha256', derived.key, 'hex');
    const head = ms.toString(16).padStart(12, '0');
    const version = (0x7000 | (derived.order & 0xfff)).toString(16);
    const variant = (0x80 | (parseInt(digest.slice(16, 18), 16) & 0x3f)).toString(16);
    return `${head.slice(0, 8)}-${head.slice(8)}-${version}-${variant}${digest.slice(18, 20)}-${digest.slice(20, 32)}`;
  }
  // hash(), not createHash(): the one-shot form costs half as much, which a million-member import feels (2M ids).
  const bytes = derived === undefined ? randomBytes(16) : hash('sha256', derived.key, 'buffer').subarray(0, 16);
  if (derived === undefined) {
    counter = ms === lastMs ? (counter + 1) & 0xfff : bytes.readUInt16BE(6) & 0x7ff;
    lastMs = ms;
    bytes.writeUInt16BE(counter, 6);
  } else {
    bytes.writeUInt16BE(derived.order & 0xfff, 6);
  }
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The smallest id of an event at `time` or later: ids start with their millisecond, so a time range is an id range
 * and the outbox needs no index on time.
 */
export function eventIdBound(time: Date): string {
  const hex = Math.max(0, time.getTime()).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

function make(type: EventType, memberId: string | null, data: EventData, time = new Date(), derived?: { key: string; order: number }): DomainEvent {
  return { id: eventId(time, derived), type, time, memberId, data };
}

const POINTS_TYPE = { earn: 'points.earned', redeem: 'points.redeemed', adjust: 'points.adjusted', reverse: 'points.adjusted', expire: 'points.adjusted' } as const;

/** Ledger keys of coupon credits (coupon-service.ts couponLedgerKey): `coupon:<campaignId>:<useId>`. */
const COUPON_KEY = /^coupon:([^:]+):(.+)$/;

/**
 * The events of one ledger entry, with ids derived from the entry: a replayed or recovered post writes them once.
 * A coupon's credit is also its `coupon.redeemed` (the credit is what commits a redemption); its reason, which
 * names the code, is left out of both, as a generated code is a bearer secret until used.
 */
export function ledgerEvents(entry: LedgerEntry): DomainEvent[] {
  // A hold reserves points for a review and its return gives them back: nothing was spent or earned, so partners
  // hear nothing until the review releases it (releasedHoldEvent).
  if (entry.kind === 'hold' || entry.kind === 'hold_return') return [];
  // A merge's 0-point adjust moves no points (it carries lifetime, or closes a ledger): member.merged tells it.
  if (entry.points === 0) return [];
  const coupon = COUPON_KEY.exec(entry.idempotencyKey);
  const points = make(POINTS_TYPE[entry.kind], entry.accountId, {
    entry_id: entry.id,
    kind: entry.kind,
    points: entry.points,
    balance: entry.balanceAfter,
    partner_id: entry.partnerId,
    reason: coupon ? 'coupon' : entry.reason,
  }, entry.createdAt, { key: `ledger:${entry.id}`, order: entry.sequence * 2 });
  if (!coupon) return [points];
  const redeemed = make('coupon.redeemed', entry.accountId, {
    campaign_id: coupon[1]!, use_id: coupon[2]!, points: entry.points, partner_id: entry.partnerId,
  }, entry.createdAt, { key: `coupon:${entry.id}`, order: entry.sequence * 2 + 1 });
  return [points, redeemed];
}

/**
 * The `points.redeemed` of a held redemption, written when the review releases it (its hold entry spent the points,
 * unannounced): the entry's figures, with an id derived from the hold so a recovered release writes it once.
 */
export function releasedHoldEvent(hold: LedgerEntry, time = new Date()): DomainEvent {
  return make('points.redeemed', hold.accountId, {
    entry_id: hold.id,
    kind: 'redeem',
    points: hold.points,
    balance: hold.balanceAfter,
    partner_id: hold.partnerId,
    reason: hold.reason,
  }, time, { key: `release:${hold.id}`, order: hold.sequence * 2 });
}

export function memberCreatedEvent(member: Member, method: SignUpMethod = 'other'): DomainEvent {
  return make('member.created', member.accountId, { member_number: member.memberNumber, channel: member.enrolmentChannel, method }, member.createdAt, { key: `member:${member.accountId}`, order: 0 });
}

/** A sign-up's verification code went out (the sign-up funnel's second step): no address, no code. */
export function signUpCodeSentEvent(accountId: string, time = new Date()): DomainEvent {
  return make('signup.code_sent', accountId, {}, time);
}

export function emailVerifiedEvent(accountId: string, time = new Date()): DomainEvent {
  return make('member.email_verified', accountId, {}, time);
}

export function phoneVerifiedEvent(accountId: string, time = new Date()): DomainEvent {
  return make('member.phone_verified', accountId, {}, time);
}

export function profileUpdatedEvent(accountId: string, fields: readonly string[], time = new Date()): DomainEvent {
  return make('member.profile_updated', accountId, { fields: [...fields] }, time);
}

// Ready for the features that will emit them (consent records, erasure, merging): the payloads are fixed here.
/**
 * The member was erased. `partner_ids` names the partners the member used (read before their links went with the
 * erasure): each of their webhooks hears of it under the sub it knew; no partner sees the list (partnerData).
 */
export function memberDeletedEvent(accountId: string, partnerIds: readonly string[], time = new Date()): DomainEvent {
  return make('member.deleted', accountId, { partner_ids: [...new Set(partnerIds)].sort() }, time, { key: `deleted:${accountId}`, order: 0xfff });
}

/**
 * `mergedId` was merged into `survivorId` (issue 21). `partner_ids`: the partners either member used, each of
 * whose webhooks hears of it under the survivor's sub, with the absorbed member's old sub as `merged_sub`
 * (webhook-audience.ts); the program's own webhooks get `merged_member` (the absorbed member's public sub).
 */
export function memberMergedEvent(survivorId: string, mergedId: string, time = new Date(), options: { partnerIds?: readonly string[]; mergeId?: string } = {}): DomainEvent {
  const derived = options.mergeId === undefined ? undefined : { key: `merged:${options.mergeId}`, order: 0xffe };
  return make('member.merged', survivorId, { merged_member: mergedId, partner_ids: [...new Set(options.partnerIds ?? [])].sort() }, time, derived);
}

/** The member stopped sharing with a client ("Apps and partners"); `partnerId`: the client's partner, if any. */
export function grantRevokedEvent(accountId: string, clientId: string, time = new Date(), partnerId: string | null = null): DomainEvent {
  return make('grant.revoked', accountId, { client_id: clientId, partner_id: partnerId }, time);
}

/**
 * How the audit log's sign-in reasons (the method names the flows pass to SignInProtection) map onto the
 * `amr` values and `acr` the flow gave the session (config/assurance.ts, design.md §5). A step-up names only
 * the factor it added; its event lists that factor's amr with `mfa`. A passkey's device-bound or synced kind
 * (hwk/swk) is not in the audit row, so its events say `user` and `mfa` only.
 */
const MAILBOX = { amr: ['email'], acr: 'urn:loyalty:loa:1' };
const METHODS: Record<string, { amr: string[]; acr: string }> = {
  password: { amr: ['pwd'], acr: 'urn:loyalty:loa:1' },
  code_email: MAILBOX,
  code_sms: { amr: ['sms'], acr: 'urn:loyalty:loa:1' },
  // Verifying a sign-up, or a password reset, signs in by the emailed code (interactions/shared/mailbox-sign-in.ts).
  sign_up: MAILBOX,
  password_reset: MAILBOX,
  passkey: { amr: ['user', 'mfa'], acr: 'urn:loyalty:loa:phr' },
  step_up_totp: { amr: ['otp', 'mfa'], acr: 'urn:loyalty:loa:2' },
  step_up_recovery: { amr: ['otp', 'mfa'], acr: 'urn:loyalty:loa:2' },
  step_up_sms: { amr: ['sms', 'mfa'], acr: 'urn:loyalty:loa:2' },
  step_up_email: { amr: ['email', 'mfa'], acr: 'urn:loyalty:loa:2' },
  step_up_passkey: { amr: ['user', 'mfa'], acr: 'urn:loyalty:loa:phr' },
};

const MFA_FACTORS = new Set(['totp', 'sms', 'phone', 'recovery_codes']);

function risk(audit: AuditEvent): number | null {
  return typeof audit.details.score === 'number' ? audit.details.score : null;
}

function clientOf(audit: AuditEvent): string | null {
  return typeof audit.details.client_id === 'string' ? audit.details.client_id : null;
}

/**
 * The domain event an audit event is, if any: sign-ins, attack-protection blocks and factor changes are
 * recorded once, in the audit log, and the adapters write this event with the audit row. Its id is a fresh
 * time-ordered one (not derived from the random audit id), so a member's events of one millisecond keep their order.
 */
export function eventFromAudit(audit: AuditEvent): DomainEvent | undefined {
  const method = audit.reason ?? 'other';
  switch (audit.type) {
    case 'sign_in.success': {
      const known = METHODS[method];
      return make('signin.succeeded', audit.accountId, {
        method, acr: known?.acr ?? null, amr: known?.amr ?? [], client: clientOf(audit), risk: risk(audit),
      }, audit.at);
    }
    case 'sign_in.failure': {
      // A failure names the account only when it exists; an unknown email is no member's event.
      if (!audit.accountId) return undefined;
      // Nothing was proven: no acr; amr lists what the attempt would have proven, when the method is known.
      const tried = typeof audit.details.method === 'string' ? audit.details.method : null;
      return make('signin.failed', audit.accountId, {
        method: tried, reason: method, acr: null, amr: (tried && METHODS[tried]?.amr) || [], client: clientOf(audit), risk: risk(audit),
      }, audit.at);
    }
    case 'sign_in.blocked':
    case 'account.protected':
    case 'sign_up.refused':
      return make('security.blocked', audit.accountId, { rule: audit.type, reason: audit.reason, country: audit.country }, audit.at);
    case 'factor.added':
    case 'factor.removed': {
      const added = audit.type === 'factor.added';
      if (method === 'passkey') return make(added ? 'passkey.added' : 'passkey.removed', audit.accountId, {}, audit.at);
      if (MFA_FACTORS.has(method)) return make(added ? 'mfa.enrolled' : 'mfa.removed', audit.accountId, { factor: method }, audit.at);
      return undefined;
    }
    default:
      return undefined;
  }
}
