// SQLite coupons: campaigns (a live single code held by one partner at a time: checked and written in one
// BEGIN IMMEDIATE transaction), their generated codes, and uses taken in one BEGIN IMMEDIATE transaction (key,
// code, counts, checks, inserts) under the same slot keys as the Mongo adapter, whose primary key is a second
// line of defence.
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { checkChanges, codeTaken, isLiveCampaign } from '../../server/domain/coupons/coupon-rules.ts';
import type {
  Campaign, CampaignChanges, CampaignUpdate, CouponRedemption, CouponsRepository, CouponUse, GeneratedCode, NewCampaign,
  NewGeneratedCampaign, Page, RedeemRequest,
} from '../../server/domain/coupons/coupons.repository.ts';
import { DomainError } from '../../server/domain/errors.ts';
import { immediateTransaction } from './database.ts';
import { date, dateOrNull, integer, integerOrNull, text, textOrNull, type Row } from './rows.ts';

const COLUMNS = 'id, partner_id, code, code_pattern, code_count, points, per_member_limit, total_limit, starts_at, ends_at, ended_at, created_at';
const USE_COLUMNS = 'id, campaign_id, account_id, code, points, idempotency_key, request_hash, created_at, credited_at';
const CODE_COLUMNS = 'partner_id, code, campaign_id, used_at';
/** Draws allowed beyond the codes wanted before a pattern counts as too crowded to fill. */
const SPARE_DRAWS = 100;

function toCampaign(row: Row): Campaign {
  return {
    id: text(row, 'id'),
    partnerId: text(row, 'partner_id'),
    code: textOrNull(row, 'code'),
    codePattern: textOrNull(row, 'code_pattern'),
    codeCount: integer(row, 'code_count'),
    points: integer(row, 'points'),
    perMemberLimit: integer(row, 'per_member_limit'),
    totalLimit: integer(row, 'total_limit'),
    startsAt: date(row, 'starts_at'),
    endsAt: date(row, 'ends_at'),
    endedAt: dateOrNull(row, 'ended_at'),
    createdAt: date(row, 'created_at'),
  };
}

export function toUse(row: Row): CouponUse {
  return {
    id: text(row, 'id'),
    campaignId: text(row, 'campaign_id'),
    accountId: text(row, 'account_id'),
    code: textOrNull(row, 'code'),
    points: integerOrNull(row, 'points'),
    idempotencyKey: textOrNull(row, 'idempotency_key'),
    requestHash: textOrNull(row, 'request_hash'),
    createdAt: date(row, 'created_at'),
    creditedAt: dateOrNull(row, 'credited_at'),
  };
}

function toCode(row: Row): GeneratedCode {
  return { code: text(row, 'code'), partnerId: text(row, 'partner_id'), campaignId: text(row, 'campaign_id'), usedAt: dateOrNull(row, 'used_at') };
}

export class SqliteCouponsRepository implements CouponsRepository {
  private readonly db: DatabaseSync;
  private readonly stmt;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.stmt = {
      insert: db.prepare(`INSERT INTO coupon_campaigns (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (partner_id, code) DO NOTHING RETURNING ${COLUMNS}`),
      find: db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE id = ?`),
      findMine: db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE id = ? AND partner_id = ?`),
      findByCode: db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE partner_id = ? AND code = ?`),
      findAllByCode: db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE code = ? ORDER BY created_at, id`),
      list: db.prepare(`SELECT ${COLUMNS} FROM coupon_campaigns WHERE partner_id = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?`),
      update: db.prepare(`UPDATE coupon_campaigns SET points = ?, per_member_limit = ?, total_limit = ?, starts_at = ?, ends_at = ? WHERE id = ? RETURNING ${COLUMNS}`),
      end: db.prepare(`UPDATE coupon_campaigns SET ended_at = coalesce(ended_at, ?) WHERE id = ? AND partner_id = ? RETURNING ${COLUMNS}`),
      insertCode: db.prepare('INSERT INTO coupon_codes (partner_id, code, campaign_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      findCode: db.prepare(`SELECT ${CODE_COLUMNS}, use_id FROM coupon_codes WHERE partner_id = ? AND code = ?`),
      findCodes: db.prepare(`SELECT ${CODE_COLUMNS} FROM coupon_codes WHERE code = ? ORDER BY partner_id`),
      listCodes: db.prepare(`SELECT ${CODE_COLUMNS} FROM coupon_codes WHERE campaign_id = ? AND code > ? ORDER BY code LIMIT ?`),
      useCode: db.prepare('UPDATE coupon_codes SET use_id = ?, account_id = ?, used_at = ? WHERE partner_id = ? AND code = ? AND use_id IS NULL'),
      countUses: db.prepare("SELECT count(*) AS n FROM coupon_uses WHERE campaign_id = ? AND kind = 'total'"),
      counts: db.prepare(`SELECT
        (SELECT count(*) FROM coupon_uses WHERE campaign_id = ? AND kind = 'total') AS total,
        (SELECT count(*) FROM coupon_uses WHERE campaign_id = ? AND kind = 'member' AND account_id = ?) AS mine`),
      memberSlot: db.prepare("INSERT INTO coupon_uses (id, campaign_id, account_id, kind, created_at) VALUES (?, ?, ?, 'member', ?)"),
      totalSlot: db.prepare(`INSERT INTO coupon_uses (id, campaign_id, account_id, kind, created_at, code, points, idempotency_key, request_hash)
        VALUES (?, ?, ?, 'total', ?, ?, ?, ?, ?) RETURNING ${USE_COLUMNS}`),
      useByKey: db.prepare(`SELECT ${USE_COLUMNS} FROM coupon_uses WHERE idempotency_key = ? AND kind = 'total'`),
      markCredited: db.prepare('UPDATE coupon_uses SET credited_at = ? WHERE id = ? AND credited_at IS NULL'),
      uncredited: db.prepare(`SELECT ${USE_COLUMNS} FROM coupon_uses WHERE kind = 'total' AND credited_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?`),
    };
  }

  /** The write lock is taken before the look at other partners' campaigns, so two creations of one code serialise. */
  async create(input: NewCampaign, at = new Date()): Promise<Campaign> {
    return immediateTransaction(this.db, () => {
      this.refuseHeldByOthers(input.code, input.partnerId, at);
      // One namespace per partner: a single code may not spell one of its generated codes.
      const row = this.stmt.findCode.get(input.partnerId, input.code) ? undefined : this.insertCampaign(input, input.code, null, 0);
      if (!row) throw new DomainError('duplicate', 'this partner has a campaign with this code');
      return toCampaign(row);
    });
  }

  async createGenerated(input: NewGeneratedCampaign, draw: () => string): Promise<{ campaign: Campaign; codes: string[] }> {
    return immediateTransaction(this.db, () => {
      const row = this.insertCampaign(input, null, input.codePattern, input.codeCount);
      if (!row) throw new Error('a campaign without a code cannot collide');
      const campaign = toCampaign(row);
      const codes: string[] = [];
      for (let draws = 0; codes.length < input.codeCount; draws += 1) {
        if (draws >= input.codeCount + SPARE_DRAWS) throw new DomainError('conflict', 'too many drawn codes were taken already: use a pattern with more random characters');
        const code = draw();
        if (this.stmt.findByCode.get(input.partnerId, code)) continue;
        if (this.stmt.insertCode.run(input.partnerId, code, campaign.id).changes === 1) codes.push(code);
      }
      return { campaign, codes };
    });
  }

  async find(id: string): Promise<Campaign | undefined> {
    const row = this.stmt.find.get(id) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async findByCode(partnerId: string, code: string): Promise<Campaign | undefined> {
    const row = this.stmt.findByCode.get(partnerId, code) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async findAllByCode(code: string): Promise<Campaign[]> {
    return (this.stmt.findAllByCode.all(code) as Row[]).map(toCampaign);
  }

  async list(partnerId: string, page: Page): Promise<Campaign[]> {
    let cursor: [number, string] = [-1, ''];
    if (page.after) {
      const after = this.stmt.findMine.get(page.after, partnerId) as Row | undefined;
      if (!after) return [];
      cursor = [integer(after, 'created_at'), text(after, 'id')];
    }
    return (this.stmt.list.all(partnerId, ...cursor, page.limit) as Row[]).map(toCampaign);
  }

  async update(partnerId: string, id: string, changes: CampaignChanges, at = new Date()): Promise<CampaignUpdate> {
    return immediateTransaction(this.db, (): CampaignUpdate => {
      const row = this.stmt.findMine.get(id, partnerId) as Row | undefined;
      if (!row) return { ok: false, reason: 'not_found' };
      const checked = checkChanges(toCampaign(row), changes, integer(this.stmt.countUses.get(id) as Row, 'n'));
      if (!checked.ok) return checked;
      const next = checked.campaign;
      // An end moved past `at` revives (or extends) the code: in the same transaction as the write, as for create.
      if (changes.endsAt !== undefined && changes.endsAt > at && next.code !== null) this.refuseHeldByOthers(next.code, partnerId, at);
      const updated = this.stmt.update.get(next.points, next.perMemberLimit, next.totalLimit, next.startsAt.getTime(), next.endsAt.getTime(), id) as Row;
      return { ok: true, campaign: toCampaign(updated) };
    });
  }

  async end(partnerId: string, id: string, at: Date): Promise<Campaign | undefined> {
    const row = this.stmt.end.get(at.getTime(), id, partnerId) as Row | undefined;
    return row ? toCampaign(row) : undefined;
  }

  async countUses(campaignId: string): Promise<number> {
    return integer(this.stmt.countUses.get(campaignId) as Row, 'n');
  }

  async findCode(partnerId: string, code: string): Promise<GeneratedCode | undefined> {
    const row = this.stmt.findCode.get(partnerId, code) as Row | undefined;
    return row ? toCode(row) : undefined;
  }

  async findCodes(code: string): Promise<GeneratedCode[]> {
    return (this.stmt.findCodes.all(code) as Row[]).map(toCode);
  }

  async listCodes(campaignId: string, page: Page): Promise<GeneratedCode[]> {
    return (this.stmt.listCodes.all(campaignId, page.after ?? '', page.limit) as Row[]).map(toCode);
  }

  /** Key, code, member slot, total slot: in that order, as on Mongo, so both answer a request alike. */
  async redeem(request: RedeemRequest): Promise<CouponRedemption> {
    const { campaignId, accountId, at, generatedCode, idempotency } = request;
    return immediateTransaction(this.db, (): CouponRedemption => {
      if (idempotency) {
        const earlier = this.stmt.useByKey.get(idempotency.key) as Row | undefined;
        if (earlier) return text(earlier, 'request_hash') === idempotency.requestHash ? { ok: true, use: toUse(earlier), replayed: true } : { ok: false, reason: 'idempotency_conflict' };
      }
      const row = this.stmt.find.get(campaignId) as Row | undefined;
      if (!row) return { ok: false, reason: 'used_up' };
      const campaign = toCampaign(row);
      if (generatedCode !== undefined) {
        const code = this.stmt.findCode.get(campaign.partnerId, generatedCode) as Row | undefined;
        // A code of another campaign has no use to give here.
        if (!code || text(code, 'campaign_id') !== campaignId || textOrNull(code, 'use_id') !== null) return { ok: false, reason: 'code_used' };
      }
      const counts = this.stmt.counts.get(campaignId, campaignId, accountId) as Row;
      const total = integer(counts, 'total');
      const mine = integer(counts, 'mine');
      if (mine >= campaign.perMemberLimit) return { ok: false, reason: 'member_limit' };
      if (total >= campaign.totalLimit) return { ok: false, reason: 'used_up' };
      const useId = `${campaignId}:${total + 1}`;
      this.stmt.memberSlot.run(`${campaignId}:${accountId}:${mine + 1}`, campaignId, accountId, at.getTime());
      const use = this.stmt.totalSlot.get(
        useId, campaignId, accountId, at.getTime(), generatedCode ?? campaign.code, campaign.points,
        idempotency?.key ?? null, idempotency?.requestHash ?? null,
      ) as Row;
      if (generatedCode !== undefined) this.stmt.useCode.run(useId, accountId, at.getTime(), campaign.partnerId, generatedCode);
      return { ok: true, use: toUse(use), replayed: false };
    });
  }

  async findUseByKey(idempotencyKey: string): Promise<CouponUse | undefined> {
    const row = this.stmt.useByKey.get(idempotencyKey) as Row | undefined;
    return row ? toUse(row) : undefined;
  }

  async markCredited(useId: string, at: Date): Promise<void> {
    this.stmt.markCredited.run(at.getTime(), useId);
  }

  async findUncredited(olderThan: Date, limit: number): Promise<CouponUse[]> {
    return (this.stmt.uncredited.all(olderThan.getTime(), limit) as Row[]).map(toUse);
  }

  async recoverPending(): Promise<number> {
    return 0;
  }

  /** Throws codeTaken() when another partner's campaign live at `at` has this single code; call inside the transaction. */
  private refuseHeldByOthers(code: string, partnerId: string, at: Date): void {
    const holders = (this.stmt.findAllByCode.all(code) as Row[]).map(toCampaign);
    if (holders.some((campaign) => campaign.partnerId !== partnerId && isLiveCampaign(campaign, at))) throw codeTaken();
  }

  private insertCampaign(input: NewCampaign | NewGeneratedCampaign, code: string | null, pattern: string | null, count: number): Row | undefined {
    return this.stmt.insert.get(
      randomUUID(), input.partnerId, code, pattern, count, input.points, input.perMemberLimit, input.totalLimit,
      input.startsAt.getTime(), input.endsAt.getTime(), Date.now(),
    ) as Row | undefined;
  }
}
