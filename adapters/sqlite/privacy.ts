// SQLite side of the members' data rights: stored exports, erasure requests, and the erasure of a member's rows
// on both connections (the durable one, and the one holding oidc-provider's state, the audit log and limits).
import type { DatabaseSync } from 'node:sqlite';
import type { CouponUse } from '../../server/domain/coupons/coupons.repository.ts';
import type { ImportedMember } from '../../server/domain/loyalty/imported-members.repository.ts';
import type { PartnerMemberLink } from '../../server/domain/partners/partners.repository.ts';
import type { ErasureRequest, ErasureSubject, PrivacyStore, StoredExport } from '../../server/domain/privacy/privacy.repository.ts';
import { toUse } from './coupons.ts';
import { immediateTransaction } from './database.ts';
import { insertEvents } from './events.ts';
import { toImportedMember } from './imported-members.ts';
import { toLink } from './partners.ts';
import { date, dateOrNull, text, textOrNull, type Row } from './rows.ts';

function toExport(row: Row): StoredExport {
  return {
    id: text(row, 'id'),
    accountId: text(row, 'account_id'),
    archive: textOrNull(row, 'archive'),
    createdAt: date(row, 'created_at'),
    readyAt: dateOrNull(row, 'ready_at'),
    expiresAt: date(row, 'expires_at'),
  };
}

function toErasure(row: Row): ErasureRequest {
  return { accountId: text(row, 'account_id'), requestedAt: date(row, 'requested_at'), eraseAt: date(row, 'erase_at') };
}

export class SqlitePrivacyStore implements PrivacyStore {
  private readonly db: DatabaseSync;
  private readonly ephemeral: DatabaseSync;

  /** `db`: the synchronous=FULL connection (accounts, points); `ephemeral`: sessions, tokens, audit, limits. */
  constructor(db: DatabaseSync, ephemeral: DatabaseSync) {
    this.db = db;
    this.ephemeral = ephemeral;
  }

  async createExport(input: Pick<StoredExport, 'id' | 'accountId' | 'createdAt' | 'expiresAt'>): Promise<void> {
    this.db.prepare('INSERT INTO member_exports (id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(input.id, input.accountId, input.createdAt.getTime(), input.expiresAt.getTime());
  }

  async completeExport(id: string, archive: string, at: Date): Promise<boolean> {
    return Number(this.db.prepare('UPDATE member_exports SET archive = ?, ready_at = ? WHERE id = ?').run(archive, at.getTime(), id).changes) > 0;
  }

  async findExport(id: string, now: Date): Promise<StoredExport | undefined> {
    const row = this.db.prepare('SELECT * FROM member_exports WHERE id = ? AND expires_at > ?').get(id, now.getTime());
    return row ? toExport(row) : undefined;
  }

  async findLatestExport(accountId: string, now: Date): Promise<StoredExport | undefined> {
    const row = this.db.prepare('SELECT * FROM member_exports WHERE account_id = ? AND expires_at > ? ORDER BY created_at DESC, id LIMIT 1').get(accountId, now.getTime());
    return row ? toExport(row) : undefined;
  }

  async listUnbuiltExports(before: Date, limit: number): Promise<string[]> {
    return this.db.prepare('SELECT id FROM member_exports WHERE archive IS NULL AND created_at < ? ORDER BY created_at LIMIT ?')
      .all(before.getTime(), limit).map((row) => text(row, 'id'));
  }

  async sweepExpiredExports(now: Date): Promise<number> {
    return Number(this.db.prepare('DELETE FROM member_exports WHERE expires_at <= ?').run(now.getTime()).changes);
  }

  async scheduleErasure(request: ErasureRequest, options: { replaceLater?: boolean } = {}): Promise<ErasureRequest> {
    return immediateTransaction(this.db, () => {
      const existing = this.db.prepare('SELECT * FROM erasure_requests WHERE account_id = ?').get(request.accountId);
      if (existing) {
        const current = toErasure(existing);
        if (!options.replaceLater || current.eraseAt <= request.eraseAt) return current;
        this.db.prepare('UPDATE erasure_requests SET erase_at = ? WHERE account_id = ?').run(request.eraseAt.getTime(), request.accountId);
        return { ...current, eraseAt: request.eraseAt };
      }
      this.db.prepare('INSERT INTO erasure_requests (account_id, requested_at, erase_at) VALUES (?, ?, ?)')
        .run(request.accountId, request.requestedAt.getTime(), request.eraseAt.getTime());
      return request;
    });
  }

  async findErasure(accountId: string): Promise<ErasureRequest | undefined> {
    const row = this.db.prepare('SELECT * FROM erasure_requests WHERE account_id = ?').get(accountId);
    return row ? toErasure(row) : undefined;
  }

  async cancelErasure(accountId: string): Promise<boolean> {
    return Number(this.db.prepare('DELETE FROM erasure_requests WHERE account_id = ?').run(accountId).changes) > 0;
  }

  async listDueErasures(now: Date, limit: number): Promise<string[]> {
    return this.db.prepare('SELECT account_id FROM erasure_requests WHERE erase_at <= ? ORDER BY erase_at LIMIT ?')
      .all(now.getTime(), limit).map((row) => text(row, 'account_id'));
  }

  async listClaimedCards(accountId: string): Promise<ImportedMember[]> {
    return this.db.prepare('SELECT * FROM imported_members WHERE claimed_by = ? ORDER BY claimed_at').all(accountId).map(toImportedMember);
  }

  async listCouponUses(accountId: string): Promise<CouponUse[]> {
    return this.db.prepare("SELECT * FROM coupon_uses WHERE account_id = ? AND kind = 'total' ORDER BY created_at, id").all(accountId).map(toUse);
  }

  async listPartnerLinks(accountId: string): Promise<PartnerMemberLink[]> {
    return this.db.prepare('SELECT * FROM partner_member_links WHERE account_id = ? ORDER BY linked_at').all(accountId).map(toLink);
  }

  async eraseMember(subject: ErasureSubject): Promise<void> {
    const { accountId: id, email, phone, tombstone } = subject;
    const contacts = [id, email, phone ?? id];
    immediateTransaction(this.db, () => {
      // The ledger and its member are re-keyed, not deleted (accounting keeps them); the foreign key between
      // them is checked at commit, once both carry the tombstone.
      this.db.exec('PRAGMA defer_foreign_keys = ON');
      this.db.prepare("UPDATE loyalty_members SET account_id = ?, member_number = 'erased:' || ? WHERE account_id = ?").run(tombstone, tombstone, id);
      // Keys that name the account (redemptions, imports) are re-keyed with it: no key leads back to the person.
      this.db.prepare('UPDATE ledger_entries SET account_id = ?1, idempotency_key = replace(idempotency_key, ?2, ?1) WHERE account_id = ?2').run(tombstone, id);
      // Held redemptions point at those entries: accounting keeps them too (issue 21), re-keyed the same way.
      this.db.prepare('UPDATE held_redemptions SET account_id = ?1, entry_id = replace(entry_id, ?2, ?1), idempotency_key = replace(idempotency_key, ?2, ?1) WHERE account_id = ?2').run(tombstone, id);
      // Coupon uses hold the campaigns' counts (total and per-member slots): kept, under the tombstone.
      this.db.prepare('UPDATE coupon_uses SET id = replace(id, ?, ?), account_id = ? WHERE account_id = ?').run(id, tombstone, tombstone, id);
      this.db.prepare('UPDATE coupon_codes SET account_id = ? WHERE account_id = ?').run(tombstone, id);
      // The old program's record the member claimed: their name and contacts as imported.
      this.db.prepare('DELETE FROM imported_members WHERE claimed_by = ?').run(id);
      this.db.prepare('DELETE FROM factor_uses WHERE factor_id IN (SELECT id FROM factors WHERE account_id = ?)').run(id);
      for (const table of ['factors', 'recovery_codes', 'passkeys', 'profile_fields', 'profile_sign_ins', 'partner_member_links', 'known_devices', 'member_exports', 'erasure_requests', 'member_consents', 'member_client_uses', 'staff_roles', 'points_adjustments', 'federated_identities', 'redemption_freezes']) {
        this.db.prepare(`DELETE FROM ${table} WHERE account_id = ?`).run(id);
      }
      this.db.prepare(`DELETE FROM one_time_codes WHERE subject IN (?, ?, ?) OR instr(coalesce(data, ''), ?) > 0 OR instr(coalesce(data, ''), ?) > 0`)
        .run(...contacts, id, email);
      // Purpose consents go with the member; each receipt keeps its decisions and date under the tombstone, without
      // the JWS (it names the member): proof that the program recorded choices, linked to no one.
      this.db.prepare('DELETE FROM purpose_consent_records WHERE account_id = ?').run(id);
      this.db.prepare('UPDATE purpose_consent_receipts SET account_id = ?, jws = NULL WHERE account_id = ?').run(tombstone, id);
      this.db.prepare('DELETE FROM accounts WHERE id = ?').run(id);
      // Merges into the member (issue 21) are kept for accounting under the tombstone, without staff's free text.
      this.db.prepare("UPDATE member_merges SET survivor_id = ?, reason = '', proof = json_object('method', json_extract(proof, '$.method')) WHERE survivor_id = ?").run(tombstone, id);
      // member.deleted commits with the erasure (same transaction): announced exactly when it happened.
      insertEvents(this.db, subject.events ?? []);
    });
    immediateTransaction(this.ephemeral, () => {
      // Sessions, grants and tokens carry the account id at the top (promoted); interactions (short-lived, few)
      // carry it inside their payload only, so only they are searched: a scan of every token would hold the lock.
      const grants = this.ephemeral.prepare("SELECT id FROM oidc_payloads WHERE model = 'Grant' AND account_id = ?").all(id).map((row) => text(row, 'id'));
      for (const grantId of grants) this.ephemeral.prepare('DELETE FROM oidc_payloads WHERE grant_id = ?').run(grantId);
      this.ephemeral.prepare('DELETE FROM oidc_payloads WHERE account_id = ?').run(id);
      this.ephemeral.prepare("DELETE FROM oidc_payloads WHERE model = 'Interaction' AND instr(payload, ?) > 0").run(id);
      // The member's own history goes with them; the erasure's own record (member.deleted) names only the tombstone.
      this.ephemeral.prepare('DELETE FROM audit_events WHERE account_id = ?').run(id);
    });
  }
}
