// SQLite staff roles (one row per account with roles), points adjustments awaiting approval, and the name search.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type {
  AdjustmentStatus, MemberSearchRepository, NewPointsAdjustment, PointsAdjustment, RedemptionFreeze, SetRolesResult, StaffMember, StaffRepository,
} from '../../server/domain/staff/staff.repository.ts';
import { normaliseRoles, staffRole, type StaffRole } from '../../server/domain/staff/staff-roles.ts';
import { immediateTransaction } from './database.ts';
import { date, dateOrNull, integer, text, textOrNull, type Row } from './rows.ts';

function toStaff(row: Row): StaffMember {
  const roles = (JSON.parse(text(row, 'roles')) as unknown[]).map((role) => staffRole.parse(role));
  return { accountId: text(row, 'account_id'), roles, version: integer(row, 'version'), updatedAt: date(row, 'updated_at') };
}

const ADJUSTMENT_COLUMNS = 'id, account_id, points, reason, requested_by, idempotency_key, request_hash, status, decided_by, decided_at, ledger_entry_id, created_at';

function toAdjustment(row: Row): PointsAdjustment {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    points: integer(row, 'points'),
    reason: text(row, 'reason'),
    requestedBy: text(row, 'requested_by'),
    idempotencyKey: text(row, 'idempotency_key'),
    requestHash: text(row, 'request_hash'),
    status: text(row, 'status') as AdjustmentStatus,
    decidedBy: textOrNull(row, 'decided_by'),
    decidedAt: dateOrNull(row, 'decided_at'),
    ledgerEntryId: textOrNull(row, 'ledger_entry_id'),
    createdAt: date(row, 'created_at'),
  };
}

export class SqliteStaffRepository implements StaffRepository {
  private readonly db: DatabaseSync;
  private readonly findStmt;
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly insertAdjustmentStmt;
  private readonly adjustmentByIdStmt;
  private readonly adjustmentByKeyStmt;
  private readonly pendingStmt;
  private readonly decideStmt;
  private readonly appliedStmt;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.findStmt = db.prepare('SELECT account_id, roles, version, updated_at FROM staff_roles WHERE account_id = ?');
    this.listStmt = db.prepare('SELECT account_id, roles, version, updated_at FROM staff_roles ORDER BY updated_at, account_id');
    this.upsertStmt = db.prepare(`INSERT INTO staff_roles (account_id, roles, version, updated_at) VALUES (?, ?, 1, ?)
      ON CONFLICT (account_id) DO UPDATE SET roles = excluded.roles, version = version + 1, updated_at = excluded.updated_at`);
    this.deleteStmt = db.prepare('DELETE FROM staff_roles WHERE account_id = ?');
    this.insertAdjustmentStmt = db.prepare(`INSERT INTO points_adjustments (${ADJUSTMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', NULL, NULL, NULL, ?)
      ON CONFLICT (idempotency_key) DO NOTHING`);
    this.adjustmentByIdStmt = db.prepare(`SELECT ${ADJUSTMENT_COLUMNS} FROM points_adjustments WHERE id = ?`);
    this.adjustmentByKeyStmt = db.prepare(`SELECT ${ADJUSTMENT_COLUMNS} FROM points_adjustments WHERE idempotency_key = ?`);
    this.pendingStmt = db.prepare(`SELECT ${ADJUSTMENT_COLUMNS} FROM points_adjustments WHERE account_id = ? AND status = 'pending' ORDER BY created_at DESC, id DESC`);
    this.decideStmt = db.prepare("UPDATE points_adjustments SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'");
    this.appliedStmt = db.prepare('UPDATE points_adjustments SET ledger_entry_id = ? WHERE id = ?');
  }

  async find(accountId: string): Promise<StaffMember | undefined> {
    const row = this.findStmt.get(accountId);
    return row ? toStaff(row) : undefined;
  }

  async list(): Promise<StaffMember[]> {
    return this.listStmt.all().map(toStaff);
  }

  async setRoles(accountId: string, roles: StaffRole[], expectedVersion?: number): Promise<SetRolesResult> {
    // Read-then-write under the write lock: the version compared is the one replaced.
    return immediateTransaction(this.db, (): SetRolesResult => {
      const row = this.findStmt.get(accountId);
      const current = row ? toStaff(row) : undefined;
      if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion) return { ok: false, reason: 'stale', current };
      const kept = normaliseRoles(roles);
      if (kept.length === 0) {
        this.deleteStmt.run(accountId);
        return { ok: true, staff: undefined };
      }
      this.upsertStmt.run(accountId, JSON.stringify(kept), Date.now());
      const written = this.findStmt.get(accountId);
      return { ok: true, staff: written ? toStaff(written) : undefined };
    });
  }

  async deleteByAccount(accountId: string): Promise<void> {
    this.deleteStmt.run(accountId);
    this.db.prepare("DELETE FROM points_adjustments WHERE account_id = ? AND status = 'pending'").run(accountId);
    this.db.prepare('DELETE FROM redemption_freezes WHERE account_id = ?').run(accountId);
  }

  async createAdjustment(input: NewPointsAdjustment): Promise<{ adjustment: PointsAdjustment; created: boolean }> {
    const id = randomUUID();
    const changes = Number(this.insertAdjustmentStmt.run(id, input.accountId, input.points, input.reason, input.requestedBy, input.idempotencyKey,
      input.requestHash, Date.now()).changes);
    const row = this.adjustmentByKeyStmt.get(input.idempotencyKey);
    if (!row) throw new Error('points adjustment vanished after insert');
    return { adjustment: toAdjustment(row), created: changes > 0 };
  }

  async findAdjustment(id: string): Promise<PointsAdjustment | undefined> {
    const row = this.adjustmentByIdStmt.get(id);
    return row ? toAdjustment(row) : undefined;
  }

  async listPendingAdjustments(accountId: string): Promise<PointsAdjustment[]> {
    return this.pendingStmt.all(accountId).map(toAdjustment);
  }

  async decideAdjustment(id: string, status: 'approved' | 'rejected', decidedBy: string, at: Date): Promise<boolean> {
    return Number(this.decideStmt.run(status, decidedBy, at.getTime(), id).changes) > 0;
  }

  async markApplied(id: string, ledgerEntryId: string): Promise<void> {
    this.appliedStmt.run(ledgerEntryId, id);
  }

  async reopenAdjustment(id: string): Promise<void> {
    this.db.prepare("UPDATE points_adjustments SET status = 'pending', decided_by = NULL, decided_at = NULL WHERE id = ? AND status = 'approved' AND ledger_entry_id IS NULL").run(id);
  }

  async findRedemptionFreeze(accountId: string): Promise<RedemptionFreeze | undefined> {
    const row = this.db.prepare('SELECT account_id, frozen_by, reason, frozen_at FROM redemption_freezes WHERE account_id = ?').get(accountId);
    return row ? { accountId: text(row, 'account_id'), frozenBy: text(row, 'frozen_by'), reason: text(row, 'reason'), frozenAt: date(row, 'frozen_at') } : undefined;
  }

  async freezeRedemptions(freeze: RedemptionFreeze): Promise<RedemptionFreeze> {
    this.db.prepare('INSERT INTO redemption_freezes (account_id, frozen_by, reason, frozen_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO NOTHING')
      .run(freeze.accountId, freeze.frozenBy, freeze.reason, freeze.frozenAt.getTime());
    return (await this.findRedemptionFreeze(freeze.accountId)) ?? freeze;
  }

  async unfreezeRedemptions(accountId: string): Promise<boolean> {
    return Number(this.db.prepare('DELETE FROM redemption_freezes WHERE account_id = ?').run(accountId).changes) > 0;
  }
}

/** LIKE's own wildcards and the escape character itself, taken literally (ESCAPE '\\'). */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class SqliteMemberSearchRepository implements MemberSearchRepository {
  private readonly stmt;

  constructor(db: DatabaseSync) {
    this.stmt = db.prepare(`SELECT DISTINCT account_id FROM profile_fields
      WHERE name IN ('given_name', 'family_name') AND value LIKE ? ESCAPE '\\' AND account_id > ?
      ORDER BY account_id LIMIT ?`);
  }

  async accountsByNamePrefix(prefix: string, options: { limit: number; afterAccountId?: string }): Promise<string[]> {
    return this.stmt.all(likePrefix(prefix), options.afterAccountId ?? '', options.limit).map((row) => text(row, 'account_id'));
  }
}
