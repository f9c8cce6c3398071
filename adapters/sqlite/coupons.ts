// SQLite coupons: campaigns, and uses taken in one BEGIN IMMEDIATE transaction (count, check, insert)
// under the same slot keys as the Mongo adapter, whose primary key is a second line of defence.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Campaign, CouponRedemption, CouponsRepository, NewCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { immediateTransaction } from './database.ts';
import { date, integer, text, type Row } from './rows.ts';

const COLUMNS = 'id, partner_id, code, points, per_member_limit, total_limit, starts_at, ends_at, created_at';

function toCampaign(row: Row): Campaign {
  return {
    id: text(row, 'id'),
    partnerId: text(row, 'partner_id'),
    code: text(row, 'code'),
    points: integer(row, 'points'),
    perMemberLimit: integer(row, 'per_member_limit'),
    totalLimit: integer(row, 'total_limit'),
    startsAt: date(row, 'starts_at'),
    endsAt: date(row, 'ends_at'),
    createdAt: date(row, 'created_at'),
  };
}

export class SqliteCouponsRepository implements CouponsRepository {
  private readonly db: DatabaseSync;
  private readonly insertStmt;
  private readonly findStmt;
  private readonly findByCodeStmt;
  private readonly findAllByCodeStmt;
  private readonly countStmt;
  private readonly useStmt;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.insertStmt = db.prepare(`INSERT INTO coupon_campaigns (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partner_id, code) DO NOTHING RETURNING ${COLUMNS}`);
    this.findStmt = db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE id = ?`);
    this.findByCodeStmt = db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE partner_id = ? AND code = ?`);
    this.findAllByCodeStmt = db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE code = ? ORDER BY created_at, id`);
    this.countStmt = db.prepare(`SELECT
      (SELECT count(*) FROM coupon_uses WHERE campaign_id = ? AND kind = 'total') AS total,
      (SELECT count(*) FROM coupon_uses WHERE campaign_id = ? AND kind = 'member' AND account_id = ?) AS mine`);
    this.useStmt = db.prepare('INSERT INTO coupon_uses (id, campaign_id, account_id, kind, created_at) VALUES (?, ?, ?, ?, ?)');
  }

  async create(input: NewCampaign): Promise<Campaign> {
    const row = this.insertStmt.get(
      randomUUID(), input.partnerId, input.code, input.points, input.perMemberLimit, input.totalLimit,
      input.startsAt.getTime(), input.endsAt.getTime(), Date.now(),
    ) as Row | undefined;
    if (!row) throw new DomainError('duplicate', 'this partner has a campaign with this code');
    return toCampaign(row);
  }

  async find(id: string): Promise<Campaign | undefined> {
    const row = this.findStmt.get(id) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async findByCode(partnerId: string, code: string): Promise<Campaign | undefined> {
    const row = this.findByCodeStmt.get(partnerId, code) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async findAllByCode(code: string): Promise<Campaign[]> {
    return (this.findAllByCodeStmt.all(code) as Row[]).map(toCampaign);
  }

  async redeem(campaignId: string, accountId: string, at: Date): Promise<CouponRedemption> {
    return immediateTransaction(this.db, () => {
      const campaign = this.findStmt.get(campaignId) as Row | undefined;
      if (!campaign) return { ok: false, reason: 'used_up' } as const;
      const counts = this.countStmt.get(campaignId, campaignId, accountId) as Row;
      const total = integer(counts, 'total');
      const mine = integer(counts, 'mine');
      if (mine >= integer(campaign, 'per_member_limit')) return { ok: false, reason: 'member_limit' } as const;
      if (total >= integer(campaign, 'total_limit')) return { ok: false, reason: 'used_up' } as const;
      const useId = `${campaignId}:${total + 1}`;
      this.useStmt.run(`${campaignId}:${accountId}:${mine + 1}`, campaignId, accountId, 'member', at.getTime());
      this.useStmt.run(useId, campaignId, accountId, 'total', at.getTime());
      return { ok: true, useId } as const;
    });
  }
}
