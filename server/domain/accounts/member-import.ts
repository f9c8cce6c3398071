// Writes one imported member (account, legacy password hash as it came, profile, member number, points) so that
// a re-run of the same row changes nothing: idempotent by email (the account) and by member number (the member).
// No KDF work here: the hash is only recognised, and becomes argon2id at the member's first sign-in.
import { randomUUID } from 'node:crypto';
import { DomainError } from '../errors.ts';
import type { LoyaltyRepository, PostResult } from '../loyalty/loyalty.repository.ts';
import { requestHash } from '../loyalty/loyalty-service.ts';
import { generateMemberNumber } from '../loyalty/member-number.ts';
import type { MemberNumberAllocator } from '../loyalty/member-number-allocator.ts';
import type { ProfilesRepository } from '../profile/profiles.repository.ts';
import type { Account } from './account.ts';
import type { AccountsRepository } from './accounts.repository.ts';
import type { MemberImportStore, NewImportEntry, NewImportMember, NewImportResult } from './member-import-store.ts';
import type { ImportRow } from './member-import-row.ts';
import { needsRehash } from './password-hasher.ts';

export type ImportOutcome = 'imported' | 'updated' | 'unchanged';

/** A row that names a real problem with the data (reported with its line and field; the rest goes on). */
export class ImportRowError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ImportRowError';
    this.field = field;
  }
}

export interface MemberImportDeps {
  accounts: AccountsRepository;
  loyalty: LoyaltyRepository;
  profiles: ProfilesRepository;
  memberImports: MemberImportStore;
}

const NUMBER_ATTEMPTS = 5;
const POINTS_REASON = 'balance imported from the previous program';

/**
 * The `adjust` entries that carry a row's points, keyed by the import: `import:<account>` carries +lifetime_points
 * (the balance when no lifetime is given) and, when the balance is lower, `import:<account>:spent` carries −(lifetime
 * − balance), so both figures match the old program. A re-run replays them. The key names the account, never the
 * email: ledger entries outlive an erasure, which re-keys them to a tombstone.
 */
function pointEntries(accountId: string, row: ImportRow): NewImportEntry[] {
  const key = `import:${accountId}`;
  return [{ suffix: '', points: row.lifetime }, { suffix: ':spent', points: row.balance - row.lifetime }]
    .filter(({ points }) => points !== 0)
    .map(({ suffix, points }) => ({
      points,
      reason: POINTS_REASON,
      idempotencyKey: key + suffix,
      requestHash: requestHash({ kind: 'adjust', points, partnerId: null, reason: POINTS_REASON, accountId }),
    }));
}

export class MemberImporter {
  private readonly deps: MemberImportDeps;

  constructor(deps: MemberImportDeps) {
    this.deps = deps;
  }

  /**
   * Which rows of a batch may take the bulk path: a row whose email, kept member number or phone another row of the
   * batch also names goes the row-by-row way, in file order, so the batch ends as if every row had gone that way.
   */
  static bulkCandidates(rows: readonly ImportRow[]): boolean[] {
    const seen = new Map<string, number>();
    const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
    for (const row of rows) {
      count(`e:${row.email}`);
      if (row.memberNumber) count(`n:${row.memberNumber}`);
      if (row.phone) count(`p:${row.phone}`);
    }
    const once = (key: string) => seen.get(key) === 1;
    return rows.map((row) => once(`e:${row.email}`) && (!row.memberNumber || once(`n:${row.memberNumber}`)) && (!row.phone || once(`p:${row.phone}`)));
  }

  /**
   * The bulk path: rows that bulkCandidates allowed, written by the store in one go when their member is new to it.
   * `existing` sends a row the row-by-row way (importRow), which knows how to update a member.
   */
  async importNew(rows: readonly ImportRow[], numbers: MemberNumberAllocator, runKey: string): Promise<NewImportResult[]> {
    // Account ids are random v4 UUIDs whose first 32 bits are shared by the batch (90 random bits remain): the id is a
    // primary key in five tables, and fully random ids put every insert on another page of each index, which at a
    // million members made the import read and rewrite most of those indexes every batch (1M rows: 398 s). Ids still
    // say nothing of when a member joined; members of one batch only share the prefix.
    const prefix = randomUUID().slice(0, 9);
    const members = rows.map((row): NewImportMember => {
      const accountId = prefix + randomUUID().slice(9);
      return {
        accountId,
        email: row.email,
        emailVerified: row.emailVerified,
        passwordHash: row.passwordHash,
        phone: row.phone ?? null,
        memberNumber: row.memberNumber,
        enrolmentChannel: row.enrolmentChannel,
        profile: row.profile,
        entries: pointEntries(accountId, row),
        data: row.data,
      };
    });
    return this.deps.memberImports.insertNewMembers(members, () => numbers.next(), runKey);
  }

  async importRow(row: ImportRow, numbers?: MemberNumberAllocator): Promise<ImportOutcome> {
    const { accounts } = this.deps;
    let changed = false;
    let account = await accounts.findByEmail(row.email);
    const created = !account;
    if (!account) {
      await this.refuseNumberOfAnother(row, undefined);
      try {
        account = await accounts.create({ email: row.email, emailVerified: row.emailVerified, passwordHash: row.passwordHash });
      } catch (error) {
        // A concurrent importer (another process) created it first: treat the row as a re-run.
        if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
        account = await accounts.findByEmail(row.email);
        if (!account) throw error;
      }
    } else {
      changed = (await this.updateAccount(account, row)) || changed;
    }
    changed = (await this.ensureMember(account.id, row, numbers)) || changed;
    changed = (await this.updatePhone(account, row)) || changed;
    changed = (await this.updateProfile(account.id, row)) || changed;
    changed = (await this.postPoints(account.id, row)) || changed;
    changed = (await this.saveData(account.id, row)) || changed;
    if (created) return 'imported';
    return changed ? 'updated' : 'unchanged';
  }

  /**
   * Email verification only moves false → true (an import never unverifies a member); the hash is replaced only
   * while the stored one is still a legacy hash — once the member signed in (argon2id), their password stays.
   */
  private async updateAccount(account: Account, row: ImportRow): Promise<boolean> {
    let changed = false;
    if (row.emailVerified && !account.emailVerified) {
      await this.deps.accounts.update(account.id, { emailVerified: true });
      changed = true;
    }
    const stored = account.passwordHash;
    if (stored !== row.passwordHash && (stored === null || needsRehash(stored))) {
      changed = stored === null
        ? Boolean(await this.deps.accounts.update(account.id, { passwordHash: row.passwordHash })) || changed
        : (await this.deps.accounts.replacePasswordHash(account.id, stored, row.passwordHash)) || changed;
    }
    return changed;
  }

  private async refuseNumberOfAnother(row: ImportRow, accountId: string | undefined): Promise<void> {
    if (!row.memberNumber) return;
    const holder = await this.deps.loyalty.findMemberByNumber(row.memberNumber);
    if (holder && holder.accountId !== accountId) throw new ImportRowError('member_number', 'belongs to another member');
  }

  /** The file's member number when valid, else a new one; an existing member keeps the number it has. */
  private async ensureMember(accountId: string, row: ImportRow, numbers: MemberNumberAllocator | undefined): Promise<boolean> {
    const { loyalty } = this.deps;
    const existing = await loyalty.findMember(accountId);
    if (existing) {
      if (row.memberNumber && existing.memberNumber !== row.memberNumber) {
        throw new ImportRowError('member_number', `this member already has number ${existing.memberNumber}`);
      }
      return false;
    }
    await this.refuseNumberOfAnother(row, accountId);
    for (let attempt = 0; attempt < NUMBER_ATTEMPTS; attempt += 1) {
      // The allocator of the run avoids the numbers later rows of the file keep.
      const memberNumber = attempt === 0 && row.memberNumber ? row.memberNumber : (numbers?.next() ?? generateMemberNumber());
      try {
        await loyalty.createMember({ accountId, memberNumber, enrolmentChannel: row.enrolmentChannel, signUpMethod: 'import' });
        return true;
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'duplicate')) throw error;
        if (await loyalty.findMember(accountId)) return false;
        if (attempt === 0 && row.memberNumber) throw new ImportRowError('member_number', 'belongs to another member');
      }
    }
    throw new DomainError('conflict', 'could not issue a member number');
  }

  private async updatePhone(account: Account, row: ImportRow): Promise<boolean> {
    if (row.phone === undefined || account.phone === row.phone) return false;
    try {
      await this.deps.accounts.setPhone(account.id, row.phone);
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'duplicate') throw new ImportRowError('phone_number', 'belongs to another member');
      throw error;
    }
  }

  /** Tier, consents, joining date and an unverified phone, kept as data on the member (MemberImportData). */
  private async saveData(accountId: string, row: ImportRow): Promise<boolean> {
    if (!row.data) return false;
    return this.deps.memberImports.saveMemberData(accountId, row.data);
  }

  private async updateProfile(accountId: string, row: ImportRow): Promise<boolean> {
    const names = Object.keys(row.profile);
    if (names.length === 0) return false;
    const { fields } = await this.deps.profiles.find(accountId);
    const values = Object.fromEntries(Object.entries(row.profile).filter(([field, value]) => fields[field]?.value !== value));
    if (Object.keys(values).length === 0) return false;
    await this.deps.profiles.update(accountId, { values }, new Date());
    return true;
  }

  /**
   * Points arrive as `adjust` entries keyed by the import (pointEntries). A re-run with another lifetime figure is a
   * row error (the member's points already moved here); one that only adds the spent entry is an update.
   */
  private async postPoints(accountId: string, row: ImportRow): Promise<boolean> {
    let changed = false;
    for (const entry of pointEntries(accountId, row)) {
      const result: PostResult = await this.deps.loyalty.post({ ...entry, accountId, kind: 'adjust', partnerId: null });
      if (!result.ok) {
        // Both figures feed both entries, so the report names the balance, the figure operators check first.
        throw new ImportRowError('points_balance', result.reason === 'idempotency_conflict' ? 'already imported with other points' : result.reason);
      }
      changed = changed || !result.replayed;
    }
    return changed;
  }
}
