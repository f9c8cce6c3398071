// SQLite side of member merges (issue 21): the whole merge is one BEGIN IMMEDIATE transaction on the durable
// connection — identifiers, credentials, links, devices, consents, profile, partner links, the two ledger entries,
// the tombstone and member.merged commit together or not at all.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { consentChanges, identifierMoves, latestAnswers, lifetimeCarried, MERGE_ENTRY_REASON, mergeLedgerKeys, profileGaps } from '../../server/domain/merge/merge-rules.ts';
import type { ApplyResult, MergeInitiator, MergePlan, MergeProof, MergeRecord, MergesRepository, SubjectMove } from '../../server/domain/merge/merges.repository.ts';
import { immediateTransaction } from './database.ts';
import { insertEvents } from './events.ts';
import type { SqliteLoyaltyRepository } from './loyalty.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';

function toRecord(row: Row): MergeRecord {
  return {
    id: text(row, 'id'),
    survivorId: text(row, 'survivor_id'),
    absorbedId: text(row, 'absorbed_id'),
    requestKey: text(row, 'request_key'),
    initiatedBy: JSON.parse(text(row, 'initiated_by')) as MergeInitiator,
    proof: JSON.parse(text(row, 'proof')) as MergeProof,
    reason: text(row, 'reason'),
    status: text(row, 'status') === 'pending' ? 'pending' : 'done',
    subjects: JSON.parse(text(row, 'subjects')) as SubjectMove[],
    redirectUntil: date(row, 'redirect_until'),
    pointsMoved: integer(row, 'points_moved'),
    lifetimeCarried: integer(row, 'lifetime_carried'),
    createdAt: date(row, 'created_at'),
    completedAt: dateOrNull(row, 'completed_at'),
  };
}

interface AccountRow {
  email: string | null;
  emailVerified: boolean;
  phone: string | null;
  passwordHash: string | null;
  passwordFromMailboxAt: number | null;
}

export class SqliteMergesRepository implements MergesRepository {
  private readonly db: DatabaseSync;
  private readonly loyalty: SqliteLoyaltyRepository;

  /** `db`: the synchronous=FULL connection (accounts and points); `loyalty` posts the two entries in the merge's transaction. */
  constructor(db: DatabaseSync, loyalty: SqliteLoyaltyRepository) {
    this.db = db;
    this.loyalty = loyalty;
  }

  async apply(plan: MergePlan): Promise<ApplyResult> {
    // Every refusal is decided before the first write, so returning one commits nothing.
    return immediateTransaction(this.db, () => this.applyNow(plan));
  }

  private applyNow(plan: MergePlan): ApplyResult {
    const { survivorId: s, absorbedId: a } = plan;
    const at = plan.at.getTime();
    const earlier = this.db.prepare('SELECT * FROM member_merges WHERE request_key = ?').get(plan.requestKey);
    if (earlier) {
      const record = toRecord(earlier);
      if (record.survivorId !== s || record.absorbedId !== a) return { ok: false, reason: 'request_key_reused' };
      return { ok: true, record, replayed: true };
    }
    if (s === a) return { ok: false, reason: 'same_member' };
    if (this.db.prepare('SELECT 1 FROM member_merges WHERE absorbed_id IN (?, ?)').get(s, a)) return { ok: false, reason: 'already_merged' };
    const survivor = this.account(s);
    const absorbed = this.account(a);
    if (!survivor || !absorbed) return { ok: false, reason: 'unknown_member' };
    const survivorMember = this.db.prepare('SELECT balance, lifetime_points FROM loyalty_members WHERE account_id = ?').get(s);
    if (!survivorMember) return { ok: false, reason: 'unknown_member' };
    // A held redemption's review would give points back to the absorbed member, who takes no entry after the merge.
    if (this.db.prepare("SELECT 1 FROM held_redemptions WHERE account_id = ? AND status = 'held'").get(a)) return { ok: false, reason: 'pending_review' };

    // Identifiers: the absorbed account goes first, so its email and phone are free for the survivor to take.
    const moves = identifierMoves(survivor, absorbed);
    this.db.prepare('DELETE FROM accounts WHERE id = ?').run(a);
    const sets: string[] = ['updated_at = ?'];
    const params: Array<string | number | null> = [at];
    if (moves.email) {
      sets.push('email = ?', 'email_verified = 1');
      params.push(absorbed.email);
    }
    // A code-receiving contact that changes pauses redemptions for a day, as any phone change does.
    if (moves.phone) {
      sets.push('phone = ?');
      params.push(absorbed.phone);
    }
    if (moves.email || moves.phone) {
      sets.push('contact_changed_at = ?');
      params.push(at);
    }
    if (moves.password) {
      sets.push('password_hash = ?', 'password_from_mailbox_at = ?');
      params.push(absorbed.passwordHash, absorbed.passwordFromMailboxAt);
    }
    this.db.prepare(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`).run(...params, s);

    // Factors, passkeys and linked upstream identities all move; recovery codes only when the survivor has none
    // (two sets would mix two printouts); the rest are the absorbed member's secrets and go.
    for (const table of ['factors', 'passkeys', 'federated_identities']) this.db.prepare(`UPDATE ${table} SET account_id = ? WHERE account_id = ?`).run(s, a);
    if (!this.db.prepare('SELECT 1 FROM recovery_codes WHERE account_id = ?').get(s)) this.db.prepare('UPDATE recovery_codes SET account_id = ? WHERE account_id = ?').run(s, a);
    this.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(a);
    // Devices, client consents and client uses: the survivor's row wins where both have one (same device or client).
    for (const table of ['known_devices', 'member_consents', 'member_client_uses']) {
      this.db.prepare(`UPDATE OR IGNORE ${table} SET account_id = ? WHERE account_id = ?`).run(s, a);
      this.db.prepare(`DELETE FROM ${table} WHERE account_id = ?`).run(a);
    }
    // Cards of the old program the absorbed member claimed are the survivor's now.
    this.db.prepare('UPDATE imported_members SET claimed_by = ? WHERE claimed_by = ?').run(s, a);

    // Profile: the survivor's values win, its gaps are filled; sign-in counts add up.
    const fields = (id: string) => Object.fromEntries(this.db.prepare('SELECT name, value FROM profile_fields WHERE account_id = ?').all(id)
      .map((row) => [text(row, 'name'), { value: textOrNull(row, 'value') }]));
    for (const [name, value] of Object.entries(profileGaps(fields(s), fields(a)))) {
      this.db.prepare(`INSERT INTO profile_fields (account_id, name, value, skipped_at, updated_at) VALUES (?, ?, ?, NULL, ?)
        ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, skipped_at = NULL, updated_at = excluded.updated_at`).run(s, name, value, at);
    }
    this.db.prepare('DELETE FROM profile_fields WHERE account_id = ?').run(a);
    const signIns = this.db.prepare('SELECT count FROM profile_sign_ins WHERE account_id = ?').get(a);
    if (signIns) {
      this.db.prepare(`INSERT INTO profile_sign_ins (account_id, count) VALUES (?, ?)
        ON CONFLICT (account_id) DO UPDATE SET count = count + excluded.count`).run(s, integer(signIns, 'count'));
      this.db.prepare('DELETE FROM profile_sign_ins WHERE account_id = ?').run(a);
    }

    // Purpose consents: the stricter answer wins, recorded on the survivor as one change of method `merge` (its
    // receipt has no JWS: no one signed in to give it). The absorbed member's history stays under its tombstone.
    const answers = (id: string) => latestAnswers(this.db.prepare('SELECT purpose, version, granted, at FROM purpose_consent_records WHERE account_id = ? ORDER BY at, seq').all(id)
      .map((row) => ({ purpose: text(row, 'purpose'), version: integer(row, 'version'), granted: integer(row, 'granted') === 1, at: date(row, 'at') })));
    const changes = consentChanges(answers(s), answers(a));
    if (changes.length > 0) {
      const receiptId = `merge:${plan.id}`;
      this.db.prepare('INSERT INTO purpose_consent_receipts (id, account_id, issued_at, jws, decisions, method) VALUES (?, ?, ?, NULL, ?, ?)')
        .run(receiptId, s, at, JSON.stringify(changes), 'merge');
      changes.forEach((change, seq) => this.db.prepare(`INSERT INTO purpose_consent_records (id, account_id, purpose, version, granted, at, channel, client_id, method, receipt_id, seq)
        VALUES (?, ?, ?, ?, ?, ?, 'web', NULL, 'merge', ?, ?)`).run(randomUUID(), s, change.purpose, change.version, change.granted ? 1 : 0, at, receiptId, seq));
    }

    // Partners: each of the absorbed member's links becomes the survivor's (under the survivor's sub; the
    // survivor's own link and scope win), and the old sub answers with the new one until redirect_until.
    for (const move of plan.subjects) {
      const link = this.db.prepare('SELECT scope, linked_at FROM partner_member_links WHERE partner_id = ? AND subject = ?').get(move.partnerId, move.oldSubject);
      if (!link) continue;
      this.db.prepare('INSERT OR IGNORE INTO partner_member_links (partner_id, subject, account_id, scope, linked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(move.partnerId, move.newSubject, s, text(link, 'scope'), integer(link, 'linked_at'), at);
      this.db.prepare('INSERT OR REPLACE INTO merged_subjects (partner_id, old_subject, new_subject, merge_id, expires_at) VALUES (?, ?, ?, ?, ?)')
        .run(move.partnerId, move.oldSubject, move.newSubject, plan.id, plan.redirectUntil.getTime());
    }
    this.db.prepare('DELETE FROM partner_member_links WHERE account_id = ?').run(a);
    // What was the absorbed member's own business and has no meaning on a tombstone.
    for (const table of ['member_exports', 'erasure_requests', 'staff_roles']) this.db.prepare(`DELETE FROM ${table} WHERE account_id = ?`).run(a);

    // Ledgers: an adjust takes the absorbed member's balance to 0 and one gives it to the survivor (one merge key,
    // one entry each side; 0 points when it had none); the survivor's entry carries the absorbed member's lifetime,
    // so lifetimes add up even without a balance. Nothing is deleted. A post from another connection or process
    // cannot slip in: this transaction holds the write lock from before it read the balance until merged_into is set.
    const absorbedMember = this.db.prepare('SELECT balance, lifetime_points FROM loyalty_members WHERE account_id = ?').get(a);
    const balance = absorbedMember ? integer(absorbedMember, 'balance') : 0;
    const carried = absorbedMember ? lifetimeCarried({ balance, lifetimePoints: integer(absorbedMember, 'lifetime_points') }) : 0;
    if (absorbedMember) {
      const keys = mergeLedgerKeys(plan.id);
      const entry = { kind: 'adjust', partnerId: null, reason: MERGE_ENTRY_REASON, requestHash: keys.hash, merging: true } as const;
      const out = this.loyalty.postNow({ ...entry, accountId: a, points: 0 - balance, idempotencyKey: keys.out });
      const into = this.loyalty.postNow({ ...entry, accountId: s, points: balance, idempotencyKey: keys.in, lifetimeCarried: carried });
      if (!out.ok || !into.ok) throw new Error(`merge ${plan.id}: ledger refused (${out.ok ? '' : out.reason} ${into.ok ? '' : into.reason})`);
    }
    this.db.prepare('UPDATE loyalty_members SET merged_into = ? WHERE account_id = ?').run(s, a);

    const row = this.db.prepare(`INSERT INTO member_merges (id, survivor_id, absorbed_id, request_key, initiated_by, proof, reason, status, subjects, redirect_until,
      points_moved, lifetime_carried, created_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'done', ?, ?, ?, ?, ?, ?) RETURNING *`)
      .get(plan.id, s, a, plan.requestKey, JSON.stringify(plan.initiatedBy), JSON.stringify(plan.proof), plan.reason, JSON.stringify(plan.subjects),
        plan.redirectUntil.getTime(), balance, carried, at, at);
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    // member.merged commits with the merge.
    insertEvents(this.db, plan.events);
    return { ok: true, record: toRecord(row), replayed: false };
  }

  private account(id: string): AccountRow | undefined {
    const row = this.db.prepare('SELECT email, email_verified, phone, password_hash, password_from_mailbox_at FROM accounts WHERE id = ?').get(id);
    if (!row) return undefined;
    return {
      email: textOrNull(row, 'email'),
      emailVerified: integer(row, 'email_verified') === 1,
      phone: textOrNull(row, 'phone'),
      passwordHash: textOrNull(row, 'password_hash'),
      passwordFromMailboxAt: row.password_from_mailbox_at === null ? null : integer(row, 'password_from_mailbox_at'),
    };
  }

  async findByAbsorbed(absorbedId: string): Promise<MergeRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM member_merges WHERE absorbed_id = ?').get(absorbedId);
    return row ? toRecord(row) : undefined;
  }

  async findByRequestKey(requestKey: string): Promise<MergeRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM member_merges WHERE request_key = ?').get(requestKey);
    return row ? toRecord(row) : undefined;
  }

  async listBySurvivor(survivorId: string): Promise<MergeRecord[]> {
    return this.db.prepare('SELECT * FROM member_merges WHERE survivor_id = ? ORDER BY created_at DESC, id').all(survivorId).map(toRecord);
  }

  async findSubjectRedirect(partnerId: string, subject: string, now: Date): Promise<string | undefined> {
    const row = this.db.prepare('SELECT new_subject FROM merged_subjects WHERE partner_id = ? AND old_subject = ? AND expires_at > ?').get(partnerId, subject, now.getTime());
    return row ? text(row, 'new_subject') : undefined;
  }

  async sweepExpiredRedirects(now: Date): Promise<number> {
    return Number(this.db.prepare('DELETE FROM merged_subjects WHERE expires_at <= ?').run(now.getTime()).changes);
  }

  async listPending(): Promise<MergeRecord[]> {
    // A merge is one SQLite transaction: a crash rolls it back whole, so nothing is ever left half-done.
    return [];
  }
}
