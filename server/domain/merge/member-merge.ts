// Merging duplicate members (issue 21 item 1): one person with two members keeps one. The service checks the
// request (two distinct live members, a proof, staff's reason), plans what the partners will see (their pairwise
// subs), lets the store apply everything at once, then ends the absorbed member's sessions and audits the merge.
import { randomUUID } from 'node:crypto';
import { pairwiseSubject } from '../../../config/pairwise.ts';
import type { Account } from '../accounts/account.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { AuditInput } from '../audit/audit-log.ts';
import type { PurposeConsentsRepository } from '../consent/purpose-consents.repository.ts';
import type { FederatedIdentitiesRepository } from '../connections/federated-identities.repository.ts';
import type { DevicesRepository } from '../devices/devices.repository.ts';
import { DomainError } from '../errors.ts';
import { memberMergedEvent } from '../events/domain-event.ts';
import type { FactorsRepository } from '../factors/factors.repository.ts';
import { type Tier, tierFor } from '../loyalty/loyalty-service.ts';
import type { LoyaltyRepository } from '../loyalty/loyalty.repository.ts';
import type { PasskeysRepository } from '../passkeys/passkeys.repository.ts';
import type { PrivacyStore } from '../privacy/privacy.repository.ts';
import type { ProfilesRepository } from '../profile/profiles.repository.ts';
import {
  type ConsentAnswer, consentChanges, type IdentifierMoves, identifierMoves, latestAnswers, MERGE_REDIRECT_DAYS, profileGaps,
} from './merge-rules.ts';
import { MERGE_PROOF_METHODS, type MergeInitiator, type MergeProof, type MergeRecord, type MergeRefusal, type MergesRepository, type SubjectMove } from './merges.repository.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_REASON = 200;
/** Member-side proofs: what the account page accepts; staff may record any method, with a reference. */
const MEMBER_PROOFS: ReadonlySet<string> = new Set(['password', 'passkey', 'email_code', 'sms_code']);

export interface MergeRequest {
  survivorId: string;
  absorbedId: string;
  proof: MergeProof;
  initiatedBy: MergeInitiator;
  /** Why (required of staff; the member page may leave it out). At most 200 characters. */
  reason?: string;
  /** The caller's Idempotency-Key, already scoped to the caller; a retry with it answers the first merge. */
  requestKey?: string;
}

/** Why a merge was refused before anything changed. */
export type MergeRefusalReason = MergeRefusal | 'proof_required' | 'reason_required' | 'invalid_proof';

export type MergeResult =
  | { status: 'merged'; record: MergeRecord; replayed: boolean }
  | { status: 'refused'; reason: MergeRefusalReason };

/** One side of the preview: what the member holds now. */
export interface MergeSide {
  accountId: string;
  /** Null for a phone-first member. */
  email: string | null;
  emailVerified: boolean;
  phone: string | null;
  hasPassword: boolean;
  memberNumber: string | null;
  balance: number;
  lifetimePoints: number;
  tier: Tier;
  authenticatorApps: number;
  passkeys: number;
  linkedAccounts: number;
  devices: number;
  partners: number;
  profileFields: string[];
}

export interface MergePreview {
  survivor: MergeSide;
  absorbed: MergeSide;
  /** The survivor as it will be. */
  after: { balance: number; lifetimePoints: number; tier: Tier; email: string | null; phone: string | null };
  /** Which identifiers the survivor takes (the others of the absorbed member are released). */
  identifiers: IdentifierMoves;
  /** Profile fields the absorbed member fills in (the survivor had no value). */
  profileFilled: string[];
  /** Purpose consents that change on the survivor (a refusal beats a grant). */
  consentChanges: ConsentAnswer[];
  /**
   * What the survivor's values win over (same field, different values): the absorbed member's value is dropped.
   * Names only: `email`, `phone`, `password`, `profile:<field>`.
   */
  conflicts: string[];
}

export interface MemberMergeDeps {
  store: MergesRepository;
  accounts: AccountsRepository;
  loyalty: Pick<LoyaltyRepository, 'findMember'>;
  factors: Pick<FactorsRepository, 'listByAccount'>;
  passkeys: Pick<PasskeysRepository, 'countByAccount'>;
  federatedIdentities: Pick<FederatedIdentitiesRepository, 'listByAccount'>;
  devices: Pick<DevicesRepository, 'listByAccount'>;
  profiles: Pick<ProfilesRepository, 'find'>;
  purposeConsents: Pick<PurposeConsentsRepository, 'listRecords'>;
  /** The partners each member used, with the pairwise sub each knows. */
  links: Pick<PrivacyStore, 'listPartnerLinks'>;
  /** Ends every session, grant and token of the absorbed member (MemberSessions.endAll). */
  sessions: { endAll(accountId: string): Promise<void> };
  audit: { record(input: AuditInput): Promise<void> };
  pairwiseSalt: Buffer;
  now?: () => Date;
}

/** The 4xx a refusal becomes on an API (the member page maps reasons to messages itself). */
export function mergeRefusalError(reason: MergeRefusalReason): DomainError {
  switch (reason) {
    case 'unknown_member': return new DomainError('not_found', 'no such member', { details: { reason } });
    case 'same_member': return new DomainError('invalid_input', 'a member cannot be merged with itself', { details: { reason } });
    case 'already_merged': return new DomainError('conflict', 'one of the members was already merged into another (or erased)', { details: { reason } });
    case 'pending_review': return new DomainError('conflict', 'the member to absorb has a redemption held for review: release or reject it first', { details: { reason } });
    case 'request_key_reused': return new DomainError('idempotency_conflict', 'this Idempotency-Key was used for another merge', { details: { reason } });
    case 'proof_required': return new DomainError('invalid_input', 'a proof that the other account belongs to the same person is required', { details: { reason, fields: { proof: 'required' } } });
    case 'invalid_proof': return new DomainError('invalid_input', 'the proof is not one this initiator may give', { details: { reason, fields: { proof: 'invalid' } } });
    case 'reason_required': return new DomainError('invalid_input', 'staff must give a reason', { details: { reason, fields: { reason: 'required' } } });
  }
}

export class MemberMerge {
  private readonly deps: MemberMergeDeps;
  private readonly now: () => Date;

  constructor(deps: MemberMergeDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  /** What the merge would do now (nothing is written). Refused as merge() would refuse the same pair. */
  async preview(survivorId: string, absorbedId: string): Promise<{ status: 'ok'; preview: MergePreview } | { status: 'refused'; reason: MergeRefusalReason }> {
    const checked = await this.checkPair(survivorId, absorbedId);
    if ('reason' in checked) return { status: 'refused', reason: checked.reason };
    const { survivor, absorbed } = checked;
    const [left, right] = await Promise.all([this.side(survivor), this.side(absorbed)]);
    const moves = identifierMoves(survivor, absorbed);
    const [survivorProfile, absorbedProfile] = await Promise.all([this.deps.profiles.find(survivor.id), this.deps.profiles.find(absorbed.id)]);
    const filled = profileGaps(survivorProfile.fields, absorbedProfile.fields);
    const [survivorConsents, absorbedConsents] = await Promise.all([this.deps.purposeConsents.listRecords(survivor.id), this.deps.purposeConsents.listRecords(absorbed.id)]);
    const conflicts: string[] = [];
    if (!moves.email && absorbed.email !== null) conflicts.push('email');
    if (absorbed.phone !== null && !moves.phone && absorbed.phone !== survivor.phone) conflicts.push('phone');
    if (absorbed.passwordHash !== null && !moves.password) conflicts.push('password');
    for (const [name, field] of Object.entries(absorbedProfile.fields)) {
      const own = survivorProfile.fields[name]?.value ?? null;
      if (field.value !== null && own !== null && own !== field.value) conflicts.push(`profile:${name}`);
    }
    const lifetime = left.lifetimePoints + right.lifetimePoints;
    return {
      status: 'ok',
      preview: {
        survivor: left,
        absorbed: right,
        after: {
          balance: left.balance + right.balance,
          // Lifetime is carried by the survivor's merge entry (0 points when the absorbed member has no balance).
          lifetimePoints: lifetime,
          tier: tierFor(lifetime),
          email: moves.email ? absorbed.email : survivor.email,
          phone: moves.phone ? absorbed.phone : survivor.phone,
        },
        identifiers: moves,
        profileFilled: Object.keys(filled).sort(),
        consentChanges: consentChanges(latestAnswers(survivorConsents), latestAnswers(absorbedConsents)),
        conflicts,
      },
    };
  }

  /**
   * Merges `absorbedId` into `survivorId`. Refused (nothing changed): the same member twice, an unknown member,
   * either side already merged (a tombstone), a missing or wrong-kind proof, staff without a reason, a request key
   * used for another merge. A retry with the same request key answers the first merge (replayed).
   */
  async merge(request: MergeRequest): Promise<MergeResult> {
    const refusal = this.checkRequest(request);
    if (refusal) return { status: 'refused', reason: refusal };
    const requestKey = request.requestKey ?? `merge:${randomUUID()}`;
    if (request.requestKey) {
      const earlier = await this.deps.store.findByRequestKey(requestKey);
      if (earlier) {
        if (earlier.survivorId !== request.survivorId || earlier.absorbedId !== request.absorbedId) return { status: 'refused', reason: 'request_key_reused' };
        // A retry after a crash finishes the merge first (Mongo's pending record), then answers it.
        if (earlier.status === 'pending') return this.apply(request, requestKey, earlier.id, earlier.createdAt);
        return { status: 'merged', record: earlier, replayed: true };
      }
    }
    const pending = await this.deps.store.findByAbsorbed(request.absorbedId);
    // A merge of these two that a crash left pending is finished by this attempt (its own id and key).
    if (pending?.status === 'pending' && pending.survivorId === request.survivorId) return this.apply(request, pending.requestKey, pending.id, pending.createdAt);
    const checked = await this.checkPair(request.survivorId, request.absorbedId);
    if ('reason' in checked) return { status: 'refused', reason: checked.reason };
    return this.apply(request, requestKey, randomUUID());
  }

  /**
   * Finishes merges a crash left half-done (Mongo's pending records) by applying each again, ends the absorbed
   * members' sessions and audits them. Returns how many it finished; a failure is left for the next sweep.
   */
  async recoverPending(olderThan: Date, limit = 20): Promise<number> {
    let finished = 0;
    for (const record of await this.deps.store.listPending(olderThan, limit)) {
      const request: MergeRequest = { survivorId: record.survivorId, absorbedId: record.absorbedId, proof: record.proof, initiatedBy: record.initiatedBy, reason: record.reason };
      const result = await this.apply(request, record.requestKey, record.id, record.createdAt);
      if (result.status === 'merged') finished += 1;
    }
    return finished;
  }

  /** Forgets old-sub redirects past their 90 days. */
  sweepExpiredRedirects(): Promise<number> {
    return this.deps.store.sweepExpiredRedirects(this.now());
  }

  /** The survivor's sub replacing an absorbed member's old one at this partner, while the 90-day redirect lasts. */
  redirectFor(partnerId: string, subject: string): Promise<string | undefined> {
    return this.deps.store.findSubjectRedirect(partnerId, subject, this.now());
  }

  /** The merge that made this member a tombstone, if any. */
  absorbedBy(accountId: string): Promise<MergeRecord | undefined> {
    return this.deps.store.findByAbsorbed(accountId);
  }

  /** `at`: when the merge began (a resumed merge keeps its first time, so its event keeps its id). */
  private async apply(request: MergeRequest, requestKey: string, id: string, at = this.now()): Promise<MergeResult> {
    const subjects = await this.subjectMoves(request.survivorId, request.absorbedId);
    const partnerIds = [...new Set([...subjects.map((move) => move.partnerId), ...(await this.deps.links.listPartnerLinks(request.survivorId)).map((link) => link.partnerId)])];
    const result = await this.deps.store.apply({
      id,
      survivorId: request.survivorId,
      absorbedId: request.absorbedId,
      requestKey,
      initiatedBy: request.initiatedBy,
      proof: request.proof,
      reason: request.reason ?? '',
      subjects,
      redirectUntil: new Date(at.getTime() + MERGE_REDIRECT_DAYS * DAY_MS),
      events: [memberMergedEvent(request.survivorId, request.absorbedId, at, { partnerIds, mergeId: id })],
      at,
    });
    if (!result.ok) return { status: 'refused', reason: result.reason };
    // The absorbed member's sessions, grants and tokens end (ending them again on a replay changes nothing).
    await this.deps.sessions.endAll(request.absorbedId);
    if (!result.replayed) {
      const { record } = result;
      await this.deps.audit.record({
        type: 'member.merged',
        accountId: record.survivorId,
        reason: record.initiatedBy.kind === 'staff' ? 'staff' : 'member',
        details: {
          merge_id: record.id,
          absorbed: record.absorbedId,
          initiated_by: record.initiatedBy.kind === 'staff' ? `staff:${record.initiatedBy.staffId}` : `member:${record.initiatedBy.accountId}`,
          proof: record.proof.method,
          proof_reference: record.proof.reference ?? null,
          staff_reason: record.reason || null,
          points_moved: record.pointsMoved,
        },
      });
    }
    return { status: 'merged', record: result.record, replayed: result.replayed };
  }

  private checkRequest(request: MergeRequest): MergeRefusalReason | undefined {
    if (request.survivorId === request.absorbedId) return 'same_member';
    const { proof } = request;
    if (!proof || !(MERGE_PROOF_METHODS as readonly string[]).includes(proof.method)) return 'proof_required';
    if (proof.reference !== undefined && proof.reference.length > MAX_REASON) return 'invalid_proof';
    if (request.initiatedBy.kind === 'member') {
      // A member proves the other account with its own credential or contact, never with a staff-only method.
      if (!MEMBER_PROOFS.has(proof.method)) return 'invalid_proof';
      if (request.initiatedBy.accountId !== request.survivorId && request.initiatedBy.accountId !== request.absorbedId) return 'invalid_proof';
    } else {
      if (!request.reason?.trim()) return 'reason_required';
      if (!proof.reference?.trim()) return 'proof_required';
    }
    if ((request.reason ?? '').length > MAX_REASON) return 'reason_required';
    return undefined;
  }

  /** Both members exist and neither is a tombstone (merged away) nor the same. */
  private async checkPair(survivorId: string, absorbedId: string): Promise<{ survivor: Account; absorbed: Account } | { reason: MergeRefusalReason }> {
    if (survivorId === absorbedId) return { reason: 'same_member' };
    const [survivorMerged, absorbedMerged] = await Promise.all([this.deps.store.findByAbsorbed(survivorId), this.deps.store.findByAbsorbed(absorbedId)]);
    if (survivorMerged || absorbedMerged) return { reason: 'already_merged' };
    const [survivor, absorbed] = await Promise.all([this.deps.accounts.findById(survivorId), this.deps.accounts.findById(absorbedId)]);
    if (!survivor || !absorbed) return { reason: 'unknown_member' };
    return { survivor, absorbed };
  }

  private async subjectMoves(survivorId: string, absorbedId: string): Promise<SubjectMove[]> {
    const links = await this.deps.links.listPartnerLinks(absorbedId);
    return links.map((link) => ({
      partnerId: link.partnerId,
      oldSubject: link.subject,
      newSubject: pairwiseSubject(this.deps.pairwiseSalt, `partner:${link.partnerId}`, survivorId),
    }));
  }

  private async side(account: Account): Promise<MergeSide> {
    const [member, factors, passkeys, linked, devices, partners, profile] = await Promise.all([
      this.deps.loyalty.findMember(account.id),
      this.deps.factors.listByAccount(account.id),
      this.deps.passkeys.countByAccount(account.id),
      this.deps.federatedIdentities.listByAccount(account.id),
      this.deps.devices.listByAccount(account.id, 1000),
      this.deps.links.listPartnerLinks(account.id),
      this.deps.profiles.find(account.id),
    ]);
    return {
      accountId: account.id,
      email: account.email,
      emailVerified: account.emailVerified,
      phone: account.phone,
      hasPassword: account.passwordHash !== null,
      memberNumber: member?.memberNumber ?? null,
      balance: member?.balance ?? 0,
      lifetimePoints: member?.lifetimePoints ?? 0,
      tier: tierFor(member?.lifetimePoints ?? 0),
      authenticatorApps: factors.filter((factor) => factor.confirmedAt !== null).length,
      passkeys,
      linkedAccounts: linked.length,
      devices: devices.length,
      partners: partners.length,
      profileFields: Object.entries(profile.fields).filter(([, field]) => field.value !== null).map(([name]) => name).sort(),
    };
  }
}
