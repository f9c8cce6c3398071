// SQLite loyalty members and points ledger: each post is one BEGIN IMMEDIATE transaction, so the key check, the balance check and the append cannot interleave.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { DomainError } from '../../server/domain/errors.ts';
import type {
  LedgerEntry,
  LoyaltyRepository,
  Member,
  NewMember,
  PostEntry,
  PostResult,
} from '../../server/domain/loyalty/loyalty.repository.ts';
import { assertValidMember, assertValidPostEntry, isEnrolmentChannel, isLedgerKind, lifetimeDelta, pageLimit } from '../../server/domain/loyalty/ledger-rules.ts';
import { ledgerEvents, memberCreatedEvent } from '../../server/domain/events/domain-event.ts';
import { immediateTransaction, isUniqueViolation } from './database.ts';
import { insertEvents } from './events.ts';
import { date, integer, text, textOrNull, type Row } from './rows.ts';

const MEMBER_COLUMNS = 'account_id, member_number, enrolment_channel, balance, lifetime_points, last_sequence, created_at';
const ENTRY_COLUMNS =
  'id, account_id, sequence, kind, points, balance_after, lifetime_after, partner_id, reason, idempotency_key, request_hash, created_at';

function toMember(row: Row): Member {
  const channel = text(row, 'enrolment_channel');
  if (!isEnrolmentChannel(channel)) throw new TypeError(`member ${text(row, 'account_id')}: unknown enrolment channel ${channel}`);
  return {
    accountId: text(row, 'account_id'),
    memberNumber: text(row, 'member_number'),
    enrolmentChannel: channel,
    balance: integer(row, 'balance'),
    lifetimePoints: integer(row, 'lifetime_points'),
    createdAt: date(row, 'created_at'),
  };
}

function toEntry(row: Row): LedgerEntry {
  const kind = text(row, 'kind');
  if (!isLedgerKind(kind)) throw new TypeError(`ledger entry ${text(row, 'id')}: unknown kind ${kind}`);
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    sequence: integer(row, 'sequence'),
    kind,
    points: integer(row, 'points'),
    balanceAfter: integer(row, 'balance_after'),
    lifetimeAfter: integer(row, 'lifetime_after'),
    partnerId: textOrNull(row, 'partner_id'),
    reason: text(row, 'reason'),
    idempotencyKey: text(row, 'idempotency_key'),
    requestHash: text(row, 'request_hash'),
    createdAt: date(row, 'created_at'),
  };
}

/** Refuses what the port forbids before any SQL runs, so a bad request is invalid_input, not a raw constraint error. */
export class SqliteLoyaltyRepository implements LoyaltyRepository {
  private readonly db: DatabaseSync;
  private readonly insertMemberStmt;
  private readonly memberStmt;
  private readonly memberByNumberStmt;
  private readonly entryByKeyStmt;
  private readonly insertEntryStmt;
  private readonly advanceMemberStmt;
  private readonly listStmt;
  private readonly sumStmt;

  /** `db` must be the synchronous=FULL connection: a committed post survives power loss. */
  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertMemberStmt = db.prepare(
      `INSERT INTO loyalty_members (${MEMBER_COLUMNS}) VALUES (?, ?, ?, 0, 0, 0, ?) RETURNING ${MEMBER_COLUMNS}`,
    );
    this.memberStmt = db.prepare(`SELECT ${MEMBER_COLUMNS}, merged_into FROM loyalty_members WHERE account_id = ?`);
    this.memberByNumberStmt = db.prepare(`SELECT ${MEMBER_COLUMNS} FROM loyalty_members WHERE member_number = ?`);
    this.entryByKeyStmt = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE idempotency_key = ?`);
    this.insertEntryStmt = db.prepare(
      `INSERT INTO ledger_entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${ENTRY_COLUMNS}`,
    );
    // Guarded by the sequence read in the same transaction: under BEGIN IMMEDIATE it always matches,
    // and if it ever did not, the post fails and rolls back instead of losing an entry.
    this.advanceMemberStmt = db.prepare(
      'UPDATE loyalty_members SET balance = ?, lifetime_points = ?, last_sequence = ? WHERE account_id = ? AND last_sequence = ?',
    );
    this.listStmt = db.prepare(
      `SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = ? AND sequence < ? ORDER BY sequence DESC LIMIT ?`,
    );
    this.sumStmt = db.prepare('SELECT COALESCE(SUM(points), 0) AS total FROM ledger_entries WHERE account_id = ?');
  }

  async createMember(input: NewMember): Promise<Member> {
    assertValidMember(input);
    try {
      // member.created is written in the member's transaction: no event for an enrolment that failed.
      return immediateTransaction(this.db, () => {
        const row = this.insertMemberStmt.get(input.accountId, input.memberNumber, input.enrolmentChannel, Date.now());
        if (!row) throw new Error('INSERT ... RETURNING returned no row');
        const member = toMember(row);
        insertEvents(this.db, [memberCreatedEvent(member, input.signUpMethod)]);
        return member;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('duplicate', 'This account is already a member, or the member number is taken', { cause: error });
      throw error;
    }
  }

  async findMember(accountId: string): Promise<Member | undefined> {
    const row = this.memberStmt.get(accountId);
    return row ? toMember(row) : undefined;
  }

  async findMemberByNumber(memberNumber: string): Promise<Member | undefined> {
    const row = this.memberByNumberStmt.get(memberNumber);
    return row ? toMember(row) : undefined;
  }

  async post(entry: PostEntry): Promise<PostResult> {
    return this.postNow(entry);
  }

  /** post() without the promise, so another repository can post within its own transaction (held-redemptions.ts). */
  postNow(entry: PostEntry): PostResult {
    assertValidPostEntry(entry);
    // The write lock is taken before the key is looked up: another connection or process cannot write
    // this key, or move this member's balance, between the checks and the append.
    return immediateTransaction(this.db, (): PostResult => {
      const previous = this.entryByKeyStmt.get(entry.idempotencyKey);
      if (previous) {
        if (text(previous, 'request_hash') !== entry.requestHash) return { ok: false, reason: 'idempotency_conflict' };
        return { ok: true, entry: toEntry(previous), replayed: true };
      }
      const member = this.memberStmt.get(entry.accountId);
      // A member merged into another (issue 21) keeps its ledger but takes no new entry: its points moved.
      if (!member || (member.merged_into !== null && entry.merging !== true)) return { ok: false, reason: 'no_member' };

      const balanceAfter = integer(member, 'balance') + entry.points;
      // Nothing written: the key stays unused, so the same request may succeed later.
      if (balanceAfter < 0) return { ok: false, reason: 'insufficient_points' };
      const lifetimeAfter = integer(member, 'lifetime_points') + lifetimeDelta(entry.kind, entry.points) + (entry.lifetimeCarried ?? 0);
      if (!Number.isSafeInteger(balanceAfter) || !Number.isSafeInteger(lifetimeAfter)) {
        throw new DomainError('invalid_input', 'points would overflow the balance');
      }
      const lastSequence = integer(member, 'last_sequence');
      const sequence = lastSequence + 1;

      const row = this.insertEntryStmt.get(
        randomUUID(),
        entry.accountId,
        sequence,
        entry.kind,
        entry.points,
        balanceAfter,
        lifetimeAfter,
        entry.partnerId,
        entry.reason,
        entry.idempotencyKey,
        entry.requestHash,
        Date.now(),
      );
      if (!row) throw new Error('INSERT ... RETURNING returned no row');
      const advanced = this.advanceMemberStmt.run(balanceAfter, lifetimeAfter, sequence, entry.accountId, lastSequence);
      if (Number(advanced.changes) !== 1) throw new Error(`member ${entry.accountId} moved during a post`);
      const written = toEntry(row);
      // The outbox row commits (or rolls back) with the entry.
      insertEvents(this.db, ledgerEvents(written));
      return { ok: true, entry: written, replayed: false };
    });
  }

  async findEntryByKey(idempotencyKey: string): Promise<LedgerEntry | undefined> {
    return this.entryByKeyNow(idempotencyKey);
  }

  entryByKeyNow(idempotencyKey: string): LedgerEntry | undefined {
    const row = this.entryByKeyStmt.get(idempotencyKey);
    return row ? toEntry(row) : undefined;
  }

  async listEntries(accountId: string, options: { limit: number; beforeSequence?: number }): Promise<LedgerEntry[]> {
    const limit = pageLimit(options);
    return this.listStmt
      .all(accountId, options.beforeSequence ?? Number.MAX_SAFE_INTEGER, limit)
      .map(toEntry);
  }

  async sumEntries(accountId: string): Promise<number> {
    const row = this.sumStmt.get(accountId);
    return row ? integer(row, 'total') : 0;
  }

  async deleteMemberWithoutEntries(accountId: string): Promise<boolean> {
    // last_sequence counts the member's entries: 0 means none was ever written.
    return Number(this.db.prepare('DELETE FROM loyalty_members WHERE account_id = ? AND last_sequence = 0').run(accountId).changes) > 0;
  }

  async recoverPending(): Promise<number> {
    // A post is one SQLite transaction: a crash rolls it back whole, so nothing is ever left half-done.
    return 0;
  }
}
