// Mongo staff roles (one document per account with roles), points adjustments awaiting approval, and the name search.
// FerretDB 1.24 applies updates as unisolated read-modify-writes, so "exactly one wins" rests on inserts with unique
// _ids (claims), as one-time codes do: a role version is claimed before it is written, a decision before it is recorded.
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type {
  AdjustmentStatus, MemberSearchRepository, NewPointsAdjustment, PointsAdjustment, RedemptionFreeze, SetRolesResult, StaffMember, StaffRepository,
} from '../../server/domain/staff/staff.repository.ts';
import { normaliseRoles, staffRole, type StaffRole } from '../../server/domain/staff/staff-roles.ts';
import { isDuplicateKey } from './errors.ts';

interface StaffDoc {
  _id: string;
  roles: string[];
  version: number;
  updatedAt: Date;
}

interface AdjustmentDoc {
  _id: string;
  accountId: string;
  points: number;
  reason: string;
  requestedBy: string;
  idempotencyKey: string;
  requestHash: string;
  status: AdjustmentStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  ledgerEntryId: string | null;
  createdAt: Date;
}

/** `<account>:<version>` for a role edit, `<adjustment id>` for a decision: whoever inserts it won. */
interface ClaimDoc {
  _id: string;
  accountId: string;
  at: Date;
}

/** One per member whose redemptions staff froze (_id: the account id). */
interface FreezeDoc {
  _id: string;
  frozenBy: string;
  reason: string;
  frozenAt: Date;
}

interface ProfileFieldDoc {
  _id: string;
  accountId: string;
  name: string;
  value: string | null;
}

function toStaff(doc: StaffDoc): StaffMember {
  return { accountId: doc._id, roles: doc.roles.map((role) => staffRole.parse(role)), version: doc.version, updatedAt: doc.updatedAt };
}

function toAdjustment(doc: AdjustmentDoc): PointsAdjustment {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

function collectionOf<T extends { _id: string }>(connection: Connection, name: string) {
  const db = connection.db;
  if (!db) throw new Error('MongoDB storage is not connected');
  return db.collection<T>(name);
}

export class MongoStaffRepository implements StaffRepository {
  private readonly connection: Connection;

  private constructor(connection: Connection) {
    this.connection = connection;
  }

  static async open(connection: Connection): Promise<MongoStaffRepository> {
    const repository = new MongoStaffRepository(connection);
    // One index per call, as indexes.ts does; the key index is unique (every document has one: no sparse index needed).
    await repository.adjustments().createIndex({ idempotencyKey: 1 }, { name: 'idempotencyKey_1', unique: true });
    await repository.adjustments().createIndex({ accountId: 1, status: 1, createdAt: -1 }, { name: 'accountId_1_status_1_createdAt_-1' });
    await repository.claims().createIndex({ accountId: 1 }, { name: 'accountId_1' });
    return repository;
  }

  private roles() {
    return collectionOf<StaffDoc>(this.connection, 'staff_roles');
  }

  private adjustments() {
    return collectionOf<AdjustmentDoc>(this.connection, 'points_adjustments');
  }

  async find(accountId: string): Promise<StaffMember | undefined> {
    const doc = await this.roles().findOne({ _id: accountId });
    return doc ? toStaff(doc) : undefined;
  }

  async list(): Promise<StaffMember[]> {
    return (await this.roles().find({}).sort({ updatedAt: 1, _id: 1 }).toArray()).map(toStaff);
  }

  private claims() {
    return collectionOf<ClaimDoc>(this.connection, 'staff_claims');
  }

  /** True when this caller inserted the claim; false when someone else holds it. */
  private async claim(id: string, accountId: string): Promise<boolean> {
    try {
      await this.claims().insertOne({ _id: id, accountId, at: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async setRoles(accountId: string, roles: StaffRole[], expectedVersion?: number): Promise<SetRolesResult> {
    const kept = normaliseRoles(roles);
    // Unconditional edits take the next free version; a few tries cover concurrent editors of one account.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.find(accountId);
      const version = current?.version ?? 0;
      if (expectedVersion !== undefined && version !== expectedVersion) return { ok: false, reason: 'stale', current };
      if (!await this.claim(`${accountId}:${version + 1}`, accountId)) {
        if (expectedVersion !== undefined) return { ok: false, reason: 'stale', current: await this.find(accountId) };
        continue;
      }
      if (kept.length === 0) {
        // No roles left: the document and its version claims go, so a later first grant starts at version 1 again.
        await this.roles().deleteOne({ _id: accountId });
        await this.claims().deleteMany({ accountId, _id: { $regex: `^${escapeRegExp(accountId)}:` } });
        return { ok: true, staff: undefined };
      }
      await this.roles().replaceOne({ _id: accountId }, { roles: kept, version: version + 1, updatedAt: new Date() }, { upsert: true });
      return { ok: true, staff: await this.find(accountId) };
    }
    throw new Error('staff roles: too many concurrent edits');
  }

  async deleteByAccount(accountId: string): Promise<void> {
    await this.roles().deleteOne({ _id: accountId });
    await this.claims().deleteMany({ accountId });
    await this.adjustments().deleteMany({ accountId, status: 'pending' });
    await this.freezes().deleteOne({ _id: accountId });
  }

  private freezes() {
    return collectionOf<FreezeDoc>(this.connection, 'redemption_freezes');
  }

  async findRedemptionFreeze(accountId: string): Promise<RedemptionFreeze | undefined> {
    const doc = await this.freezes().findOne({ _id: accountId });
    return doc ? { accountId: doc._id, frozenBy: doc.frozenBy, reason: doc.reason, frozenAt: doc.frozenAt } : undefined;
  }

  async freezeRedemptions(freeze: RedemptionFreeze): Promise<RedemptionFreeze> {
    // The unique _id decides between two concurrent freezes: the first one stays.
    try {
      await this.freezes().insertOne({ _id: freeze.accountId, frozenBy: freeze.frozenBy, reason: freeze.reason, frozenAt: freeze.frozenAt });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    return (await this.findRedemptionFreeze(freeze.accountId)) ?? freeze;
  }

  async unfreezeRedemptions(accountId: string): Promise<boolean> {
    return (await this.freezes().deleteOne({ _id: accountId })).deletedCount > 0;
  }

  async createAdjustment(input: NewPointsAdjustment): Promise<{ adjustment: PointsAdjustment; created: boolean }> {
    const doc: AdjustmentDoc = { _id: randomUUID(), ...input, status: 'pending', decidedBy: null, decidedAt: null, ledgerEntryId: null, createdAt: new Date() };
    try {
      await this.adjustments().insertOne(doc);
      return { adjustment: toAdjustment(doc), created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.adjustments().findOne({ idempotencyKey: input.idempotencyKey });
      if (!existing) throw error;
      return { adjustment: toAdjustment(existing), created: false };
    }
  }

  async findAdjustment(id: string): Promise<PointsAdjustment | undefined> {
    const doc = await this.adjustments().findOne({ _id: id });
    return doc ? toAdjustment(doc) : undefined;
  }

  async listPendingAdjustments(accountId: string): Promise<PointsAdjustment[]> {
    return (await this.adjustments().find({ accountId, status: 'pending' }).sort({ createdAt: -1, _id: -1 }).toArray()).map(toAdjustment);
  }

  async decideAdjustment(id: string, status: 'approved' | 'rejected', decidedBy: string, at: Date): Promise<boolean> {
    const adjustment = await this.adjustments().findOne({ _id: id });
    if (!adjustment || adjustment.status !== 'pending') return false;
    if (!await this.claim(`decision:${id}`, adjustment.accountId)) return false;
    await this.adjustments().updateOne({ _id: id }, { $set: { status, decidedBy, decidedAt: at } });
    return true;
  }

  async markApplied(id: string, ledgerEntryId: string): Promise<void> {
    await this.adjustments().updateOne({ _id: id }, { $set: { ledgerEntryId } });
  }

  async reopenAdjustment(id: string): Promise<void> {
    // Only the approver holding the decision claim calls this, and only when its ledger post failed.
    const { matchedCount } = await this.adjustments().updateOne({ _id: id, status: 'approved', ledgerEntryId: null }, { $set: { status: 'pending', decidedBy: null, decidedAt: null } });
    if (matchedCount > 0) await this.claims().deleteOne({ _id: `decision:${id}` });
  }
}

/** Every character of `text` literal inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export class MongoMemberSearchRepository implements MemberSearchRepository {
  private readonly connection: Connection;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  async accountsByNamePrefix(prefix: string, options: { limit: number; afterAccountId?: string }): Promise<string[]> {
    // Anchored and escaped: a search string is never a pattern (no `.*`, no catastrophic backtracking) nor an operator
    // (it is a string inside $regex, never an object spliced into the filter).
    const docs = await collectionOf<ProfileFieldDoc>(this.connection, 'profile_fields')
      .find({ name: { $in: ['given_name', 'family_name'] }, value: { $regex: `^${escapeRegExp(prefix)}`, $options: 'i' }, accountId: { $gt: options.afterAccountId ?? '' } })
      .project<{ accountId: string }>({ accountId: 1, _id: 0 })
      .sort({ accountId: 1 })
      .limit(options.limit * 2)
      .toArray();
    return [...new Set(docs.map((doc) => doc.accountId))].slice(0, options.limit);
  }
}
