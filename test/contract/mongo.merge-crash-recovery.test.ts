// A merge cut by kill -9 on MongoDB (issue 21 item 1): a server process is killed while it applies a merge, which
// leaves the pending merge record and the steps done so far. The sweep (recoverPending) in another process then
// finishes it, and a retry of the request answers that same merge: every point lands once on the survivor, both
// ledgers keep balance = sum of entries, and what the absorbed member owned is the survivor's.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../../adapters/index.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { deriveKey } from '../../server/security/crypto.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { adminTokenFor, freePort, bootServerProcess, exitOf, type ServerProcess } from '../support/server-process.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const ADMIN_ID = 'merge-crash-admin';
const ADMIN_SECRET = 'merge-crash-admin-secret-0123456789abcdef';
/** Devices of the absorbed member: moving them is the long step the kill lands in. */
const DEVICES = 40;

const adminToken = (url: string) => adminTokenFor(url, ADMIN_ID, ADMIN_SECRET);

describe('member merge crash recovery (mongo)', () => {
  allowFerretDbTime();
  const kek = randomBytes(32).toString('hex');
  const dbName = `idp_merge_crash_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const mongoUri = mongoTestUri(dbName);
  let dataDir: string;
  let storage: Storage;
  let child: ServerProcess | undefined;
  let server: TestServer | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-merge-crash-'));
  });
  afterAll(async () => {
    if (child && child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGKILL');
      await exitOf(child.child);
    }
    await server?.close();
    await storage?.close();
    await dropMongoDatabase(mongoUri);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('kill -9 in the middle of a merge: the sweep finishes it, the retry answers it, no point lost or doubled', async () => {
    const port = await freePort();
    child = await bootServerProcess({
      NODE_ENV: 'test', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, KEY_ENCRYPTION_KEY: kek,
      BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_SECRET, MONGODB_URI: mongoUri, WEBHOOKS_DISPATCHER: 'false', LOG_LEVEL: 'info',
    });
    const url = child.url.replace(/:\d+$/, `:${port}`);
    storage = await openStorage({ dataDir, mongodbUri: mongoUri, clientSecretKey: deriveKey(Buffer.from(kek, 'hex'), 'client-secrets') });

    // Two members of one person, seeded in the store the child serves.
    const seed = async (points: number) => {
      const account = await storage.accounts.create({ email: `crash.${randomUUID()}@example.com`, emailVerified: true, passwordHash: null });
      await storage.loyalty.createMember({ accountId: account.id, memberNumber: String(Date.now()).slice(-9) + String(Math.floor(Math.random() * 9)), enrolmentChannel: 'web' });
      const posted = await storage.loyalty.post({ accountId: account.id, kind: 'earn', points, partnerId: null, reason: 'seed', idempotencyKey: `seed:${randomUUID()}`, requestHash: 'h' });
      expect(posted.ok).toBe(true);
      return account.id;
    };
    const survivor = await seed(250);
    const absorbed = await seed(1750);
    await storage.passkeys.create({ id: `pk-${randomUUID()}`, accountId: absorbed, publicKey: 'AAAA', counter: 0, transports: [], deviceType: 'multiDevice', backedUp: true, name: 'Phone', createdAt: new Date(), lastUsedAt: null });
    for (let i = 0; i < DEVICES; i += 1) await storage.devices.record(absorbed, `device-${i}-${randomUUID()}`, { at: new Date(), ip: null, country: null, userAgent: null });

    const token = await adminToken(url);
    const key = randomUUID();
    const request = (bearer: string) => ({
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ absorbed, reason: 'one person, two members', proof: { method: 'identity_document', reference: 'desk check' } }),
    });
    // The request is in flight when the process dies: its answer never comes.
    void fetch(`${url}/admin/members/${survivor}/merge`, request(token)).catch(() => undefined);
    // Killed as soon as the merge has started (its pending record is in), in the middle of its steps.
    for (let tries = 0; tries < 5000 && !(await storage.merges.findByAbsorbed(absorbed)); tries += 1) await new Promise((resolve) => setTimeout(resolve, 2));
    child.child.kill('SIGKILL');
    await exitOf(child.child);
    const cut = await storage.merges.findByAbsorbed(absorbed);
    expect(cut?.status).toBe('pending');
    // Half-done: something is still with the absorbed member.
    expect((await storage.devices.listByAccount(absorbed, 100)).length + (await storage.passkeys.countByAccount(absorbed))).toBeGreaterThan(0);

    // Another process on the same store: its sweep finishes the merge.
    server = await startTestServer({ store: 'mongo', mongoDb: dbName, env: { KEY_ENCRYPTION_KEY: kek, BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_ID, BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_SECRET } });
    expect(await server.container.merges.recoverPending(new Date(Date.now() + 60_000))).toBe(1);
    const done = await storage.merges.findByAbsorbed(absorbed);
    expect(done).toMatchObject({ id: cut!.id, status: 'done', pointsMoved: 1750 });

    const survivorMember = (await storage.loyalty.findMember(survivor))!;
    const absorbedMember = (await storage.loyalty.findMember(absorbed))!;
    expect([survivorMember.balance, survivorMember.lifetimePoints, absorbedMember.balance]).toEqual([2000, 2000, 0]);
    expect(await storage.loyalty.sumEntries(survivor)).toBe(2000);
    expect(await storage.loyalty.sumEntries(absorbed)).toBe(0);
    expect(await storage.loyalty.listEntries(survivor, { limit: 10 })).toHaveLength(2);
    expect(await storage.loyalty.listEntries(absorbed, { limit: 10 })).toHaveLength(2);
    expect(await storage.passkeys.countByAccount(survivor)).toBe(1);
    expect((await storage.devices.listByAccount(survivor, 100)).length).toBe(DEVICES);
    expect((await storage.devices.listByAccount(absorbed, 100)).length).toBe(0);
    expect(await storage.accounts.findById(absorbed)).toBeUndefined();

    // The caller's retry (same Idempotency-Key) answers the merge that was cut, and changes nothing more.
    const retry = await fetch(`${server.url}/admin/members/${survivor}/merge`, request(await adminToken(server.url)));
    expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(await retry.json()).toMatchObject({ id: cut!.id, status: 'done', points_moved: 1750 });
    expect(await storage.loyalty.sumEntries(survivor)).toBe(2000);
  });
});
