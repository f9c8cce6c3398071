// Partner earns racing a member merge from two server instances on one Mongo store (issue 21 item 1): both
// instances post earns to the absorbed member's sub in a loop while the first merges it. No acknowledged earn is
// lost: every 2xx earn is in the absorbed ledger before the merge's closing entry (so the merge moved it to the
// survivor), every other answer is 409 (retry) or 410 member_merged, the tombstone ends at 0, and both ledgers keep
// balance = sum of entries with a chained sequence. (The exact interleaving is pinned down deterministically in
// test/contract/mongo.merge-late-post.test.ts; this is the end-to-end run across real processes.)
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { bootServerProcess, stopServerProcess, type ServerProcess } from '../support/server-process.ts';
import { useMemberServer } from '../support/suite.ts';
import { adminCaller } from '../protocol/admin/admin-api.ts';
import { partnerFixture } from '../protocol/partners/partner-fixture.ts';

/** Earns each instance sends at most (it stops earlier, a few answers after the merge is done). */
const MAX_EARNS = 400;

describe('member merge racing earns from two instances (mongo)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-merge-race-'));
  const mongoUri = mongoTestUri(`idp_merge_race_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  const shared: Record<string, string> = { DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), MONGODB_URI: mongoUri, WEBHOOKS_DISPATCHER: 'false' };
  const fx = useMemberServer('mongo', shared);
  let second: ServerProcess;
  let admin: ReturnType<typeof adminCaller>;
  const { partner, partnerToken, memberOf } = partnerFixture(fx, () => admin);

  beforeAll(async () => {
    const token = await fx.server.adminToken();
    admin = adminCaller(() => fx.server, () => token);
    second = await bootServerProcess({ ...shared, ISSUER: fx.server.url, NODE_ENV: 'test' });
  }, 60_000);

  afterAll(async () => {
    await stopServerProcess(second);
    await dropMongoDatabase(mongoUri);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every acknowledged earn ends on the survivor; the tombstone ends at 0; both ledgers stay exact', async () => {
    const shop = await partner(`Race shop ${randomUUID().slice(0, 8)}`);
    const survivor = await memberOf(shop);
    const absorbed = await memberOf(shop);
    const token = await partnerToken(shop);
    const { loyalty } = fx.server.container.storage;
    const earn = (base: string, points: number) => fetch(`${base}/partner-api/v1/members/${encodeURIComponent(absorbed.sub)}/points`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ points, reason: 'order' }),
    });
    expect((await earn(fx.server.url, 1000)).status).toBe(201);
    const [survivorBefore, absorbedBefore] = [(await loyalty.findMember(survivor.accountId))!, (await loyalty.findMember(absorbed.accountId))!];

    let mergeDone = false;
    const acknowledged: Array<{ id: string; points: number }> = [];
    const refusals: number[] = [];
    /** One instance's loop: earns of 1..7 points until a few answers after the merge is done. */
    const loop = async (base: string) => {
      for (let i = 0, after = 0; i < MAX_EARNS && after < 3; i += 1) {
        const points = 1 + (i % 7);
        const response = await earn(base, points);
        if (response.status === 201) acknowledged.push({ id: ((await response.json()) as { id: string }).id, points });
        else {
          refusals.push(response.status);
          await response.body?.cancel();
        }
        if (mergeDone) after += 1;
      }
    };
    const loops = Promise.all([loop(fx.server.url), loop(second.url)]);
    // Let both loops get going, then merge on the first instance while they run.
    while (acknowledged.length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
    const merged = await admin('POST', `/admin/members/${survivor.accountId}/merge`,
      { absorbed: absorbed.accountId, reason: 'one person, two sign-ups', proof: { method: 'contact_verified', reference: 'race test' } }, { 'idempotency-key': randomUUID() });
    mergeDone = true;
    await loops;
    expect(merged.status).toBe(201);
    const mergeId = (merged.body as { id: string }).id;

    // Refused earns were answered as retryable or as merged: never a 2xx that went nowhere.
    expect(refusals.every((status) => status === 409 || status === 410)).toBe(true);
    expect(refusals).toContain(410);

    // Every acknowledged earn is in the absorbed ledger before the merge's closing entry, which moved it on.
    const entries = (await loyalty.listEntries(absorbed.accountId, { limit: 1000 })).reverse();
    const closing = entries.findIndex((entry) => entry.idempotencyKey === `merge:${mergeId}:out`);
    expect(closing).toBeGreaterThan(0);
    const beforeClosing = new Set(entries.slice(0, closing).map((entry) => entry.id));
    expect(acknowledged.filter((ack) => !beforeClosing.has(ack.id))).toEqual([]);
    expect(entries.slice(closing).every((entry) => entry.idempotencyKey.startsWith(`merge:${mergeId}:out`))).toBe(true);

    const earned = acknowledged.reduce((sum, ack) => sum + ack.points, 0);
    expect(merged.body).toMatchObject({ points_moved: absorbedBefore.balance + earned });
    expect(await loyalty.findMember(survivor.accountId)).toMatchObject({
      balance: survivorBefore.balance + absorbedBefore.balance + earned, lifetimePoints: survivorBefore.lifetimePoints + absorbedBefore.lifetimePoints + earned,
    });
    expect(await loyalty.findMember(absorbed.accountId)).toMatchObject({ balance: 0 });
    for (const accountId of [survivor.accountId, absorbed.accountId]) {
      const chain = (await loyalty.listEntries(accountId, { limit: 1000 })).reverse();
      expect(chain.map((entry) => entry.sequence)).toEqual(chain.map((_, i) => i + 1));
      chain.forEach((entry, i) => expect(entry.balanceAfter).toBe((chain[i - 1]?.balanceAfter ?? 0) + entry.points));
      expect(await loyalty.sumEntries(accountId)).toBe((await loyalty.findMember(accountId))!.balance);
    }
  });
});
