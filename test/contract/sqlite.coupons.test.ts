// SQLite coupons beyond the contract: a file from before generated codes (schema version 10) upgrades with its
// campaigns and uses kept, and its uses are checked once by the recovery, which credits only those without points.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import { couponLedgerKey, CouponService } from '../../server/domain/coupons/coupon-service.ts';
import { LoyaltyService } from '../../server/domain/loyalty/loyalty-service.ts';
import { databaseAtVersion, removeDataDirs } from './sqlite-files.ts';

afterAll(removeDataDirs);

describe('sqlite coupons upgrade', () => {
  it('upgrades a version 10 file: campaigns and uses kept, old uses credited once by the recovery', async () => {
    const { dataDir, db: old } = databaseAtVersion(10);
    old.exec(`INSERT INTO coupon_campaigns (id, partner_id, code, points, per_member_limit, total_limit, starts_at, ends_at, created_at)
              VALUES ('c-old', 'p-old', 'OLD-CODE', 30, 2, 5, 1000, 9999999999999, 1000)`);
    for (const [n, account] of [[1, 'paid'], [2, 'cut']] as const) {
      old.prepare("INSERT INTO coupon_uses (id, campaign_id, account_id, kind, created_at) VALUES (?, 'c-old', ?, 'member', 2000)").run(`c-old:${account}:1`, account);
      old.prepare("INSERT INTO coupon_uses (id, campaign_id, account_id, kind, created_at) VALUES (?, 'c-old', ?, 'total', 2000)").run(`c-old:${n}`, account);
    }
    old.close();

    const storage = await openSqliteStorage({ dataDir });
    try {
      const campaign = await storage.coupons.find('c-old');
      expect(campaign).toMatchObject({ code: 'OLD-CODE', codePattern: null, codeCount: 0, endedAt: null, totalLimit: 5 });
      expect(await storage.coupons.countUses('c-old')).toBe(2);
      const old = await storage.coupons.findUncredited(new Date(3000), 10);
      expect(old.map((use) => [use.id, use.code, use.points, use.creditedAt])).toEqual([['c-old:1', null, null, null], ['c-old:2', null, null, null]]);

      // The first old use had been credited as the previous release did it; the second's earn was cut short.
      const loyalty = new LoyaltyService(storage.loyalty);
      await loyalty.ensureMember('paid');
      await loyalty.earn({ accountId: 'paid', points: 30, partnerId: 'p-old', reason: 'coupon OLD-CODE', idempotencyKey: couponLedgerKey('c-old', 'c-old:1') });
      const service = new CouponService(storage.coupons, loyalty);
      expect(await service.recoverUncredited(new Date(3000))).toEqual({ credited: 1, failed: 0 });
      expect(await storage.loyalty.findEntryByKey(couponLedgerKey('c-old', 'c-old:2'))).toMatchObject({ accountId: 'cut', points: 30, reason: 'coupon OLD-CODE' });
      expect(await storage.loyalty.sumEntries('paid')).toBe(30);
      expect(await storage.loyalty.sumEntries('cut')).toBe(30);
      expect(await storage.coupons.findUncredited(new Date(3000), 10)).toEqual([]);

      // New uses continue the slots, and a single code may still not be taken twice by one partner.
      const next = await storage.coupons.redeem({ campaignId: 'c-old', accountId: 'new', at: new Date() });
      expect(next).toMatchObject({ ok: true, use: { id: 'c-old:3', code: 'OLD-CODE', points: 30 } });
      await expect(storage.coupons.create({ partnerId: 'p-old', code: 'OLD-CODE', points: 1, perMemberLimit: 1, totalLimit: 1, startsAt: new Date(0), endsAt: new Date(1) }))
        .rejects.toMatchObject({ code: 'duplicate' });
    } finally {
      await storage.close();
    }
    const check = new DatabaseSync(join(dataDir, 'idp.sqlite'), { readOnly: true });
    try {
      // The rebuild of coupon_campaigns left no copy behind.
      const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'coupon%' ORDER BY name").all().map((row) => row.name);
      expect(tables).toEqual(['coupon_campaigns', 'coupon_codes', 'coupon_uses']);
    } finally {
      check.close();
    }
  });

  it('refuses, even from hand-written SQL, a campaign with both kinds of code or more uses allowed than codes', async () => {
    const { db } = databaseAtVersion(11);
    const insert = db.prepare(`INSERT INTO coupon_campaigns (id, partner_id, code, code_pattern, code_count, points, per_member_limit, total_limit, starts_at, ends_at, created_at)
                               VALUES (?, 'p', ?, ?, ?, 10, 1, ?, 0, 1, 0)`);
    try {
      expect(() => insert.run('both', 'CODE-1', 'GEN-########', 5, 5)).toThrow(/CHECK/);
      expect(() => insert.run('neither', null, null, 0, 5)).toThrow(/CHECK/);
      expect(() => insert.run('over', null, 'GEN-########', 5, 6)).toThrow(/CHECK/);
      expect(() => insert.run('uncounted', null, 'GEN-########', 0, 1)).toThrow(/CHECK/);
      insert.run('fine', null, 'GEN-########', 5, 5);
      expect(db.prepare("SELECT count(*) AS n FROM coupon_campaigns WHERE id = 'fine'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
