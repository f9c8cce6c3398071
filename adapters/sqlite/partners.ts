// SQLite partners repository: partners, and member links keyed by (partner, pairwise subject).
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { NewLink, Partner, PartnerMemberLink, PartnersRepository } from '../../server/domain/partners/partners.repository.ts';
import { date, text, type Row } from './rows.ts';

function toPartner(row: Row): Partner {
  return { id: text(row, 'id'), name: text(row, 'name'), createdAt: date(row, 'created_at') };
}

export function toLink(row: Row): PartnerMemberLink {
  return {
    partnerId: text(row, 'partner_id'),
    subject: text(row, 'subject'),
    accountId: text(row, 'account_id'),
    scope: text(row, 'scope'),
    linkedAt: date(row, 'linked_at'),
    updatedAt: date(row, 'updated_at'),
  };
}

export class SqlitePartnersRepository implements PartnersRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly firstPageStmt;
  private readonly nextPageStmt;
  private readonly linkStmt;
  private readonly findLinkStmt;
  private readonly renameStmt;
  private readonly countMembersStmt;

  constructor(db: DatabaseSync) {
    this.insertStmt = db.prepare('INSERT INTO partners (id, name, created_at) VALUES (?, ?, ?) RETURNING id, name, created_at');
    this.findStmt = db.prepare('SELECT id, name, created_at FROM partners WHERE id = ?');
    this.firstPageStmt = db.prepare('SELECT id, name, created_at FROM partners ORDER BY created_at, id LIMIT ?');
    this.nextPageStmt = db.prepare(`SELECT id, name, created_at FROM partners
      WHERE (created_at, id) > (SELECT created_at, id FROM partners WHERE id = ?) ORDER BY created_at, id LIMIT ?`);
    // One statement: insert the link, or refresh its scope and account keeping linked_at.
    this.linkStmt = db.prepare(`INSERT INTO partner_member_links (partner_id, subject, account_id, scope, linked_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (partner_id, subject) DO UPDATE SET account_id = excluded.account_id, scope = excluded.scope, updated_at = excluded.updated_at`);
    this.findLinkStmt = db.prepare('SELECT partner_id, subject, account_id, scope, linked_at, updated_at FROM partner_member_links WHERE partner_id = ? AND subject = ?');
    this.renameStmt = db.prepare('UPDATE partners SET name = ? WHERE id = ? RETURNING id, name, created_at');
    // One link per member and partner (the subject is derived from the member), so the links are the members;
    // the primary key (partner_id, subject) serves the count.
    this.countMembersStmt = db.prepare('SELECT COUNT(*) AS members FROM partner_member_links WHERE partner_id = ?');
  }

  async create(input: { name: string }): Promise<Partner> {
    const row = this.insertStmt.get(randomUUID(), input.name, Date.now());
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return toPartner(row);
  }

  async find(id: string): Promise<Partner | undefined> {
    const row = this.findStmt.get(id);
    return row ? toPartner(row) : undefined;
  }

  async list(options: { limit: number; after?: string }): Promise<Partner[]> {
    const rows = options.after ? this.nextPageStmt.all(options.after, options.limit) : this.firstPageStmt.all(options.limit);
    return rows.map(toPartner);
  }

  async rename(id: string, name: string): Promise<Partner | undefined> {
    const row = this.renameStmt.get(name, id);
    return row ? toPartner(row) : undefined;
  }

  async countMembers(partnerId: string): Promise<number> {
    const row = this.countMembersStmt.get(partnerId);
    return Number(row?.members ?? 0);
  }

  async link(input: NewLink): Promise<void> {
    const now = Date.now();
    this.linkStmt.run(input.partnerId, input.subject, input.accountId, input.scope, now, now);
  }

  async findLink(partnerId: string, subject: string): Promise<PartnerMemberLink | undefined> {
    const row = this.findLinkStmt.get(partnerId, subject);
    return row ? toLink(row) : undefined;
  }
}
