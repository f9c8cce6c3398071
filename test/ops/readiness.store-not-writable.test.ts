// A store that answers reads but refuses writes (a full disk, a read-only volume) must take the instance out of
// rotation: /readyz turns 503 while /healthz stays 200 (a restart would not free the disk), and readiness comes
// back by itself once writes succeed again.
//
// The refusal is made deterministic without touching the server's code: on SQLite a trigger (added from a
// second connection to the same file) fails writes to the probe's row with SQLite's own "database or disk is
// full" error; on MongoDB the probe's document is given a field its $inc cannot apply to, so the server refuses
// the update. Either way the server sees exactly what it would on a full disk: its write rejected by the store.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import mongoose from 'mongoose';
import { startTestServer, STORES, type StoreKind, type TestServer } from '../support/test-server.ts';

/** Makes the store refuse the readiness probe's write, and lets it accept writes again. */
interface WriteFault {
  inject(): Promise<void>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

async function writeFault(store: StoreKind, server: TestServer): Promise<WriteFault> {
  const { config } = server.container;
  if (store === 'sqlite') {
    const db = new DatabaseSync(join(config.dataDir, 'idp.sqlite'));
    db.exec('PRAGMA busy_timeout = 10000');
    return {
      async inject() {
        db.exec(`
          CREATE TRIGGER disk_full_insert BEFORE INSERT ON health_probe BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;
          CREATE TRIGGER disk_full_update BEFORE UPDATE ON health_probe BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;
        `);
      },
      async clear() {
        db.exec('DROP TRIGGER disk_full_insert; DROP TRIGGER disk_full_update;');
      },
      async close() {
        db.close();
      },
    };
  }
  const raw = mongoose.createConnection(config.mongodbUri!, { autoIndex: false, autoCreate: false, bufferCommands: false });
  await raw.asPromise();
  const probes = raw.collection<{ _id: string; writes: unknown }>('health_probes');
  return {
    async inject() {
      await probes.updateOne({ _id: 'write-probe' }, { $set: { writes: 'refused' } }, { upsert: true });
    },
    async clear() {
      await probes.updateOne({ _id: 'write-probe' }, { $set: { writes: 0 } });
    },
    async close() {
      await raw.close();
    },
  };
}

/** Polls `path` until it answers `status` (the probe's outcome is cached for a couple of seconds). */
async function until(server: TestServer, path: string, status: number): Promise<unknown> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${server.url}${path}`);
    const body: unknown = await response.json();
    if (response.status === status) return body;
    if (Date.now() > deadline) throw new Error(`${path} still answers ${response.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.each(STORES)('readiness when the store refuses writes (%s)', (store) => {
  let server: TestServer;
  let fault: WriteFault;
  beforeAll(async () => {
    server = await startTestServer({ store });
    fault = await writeFault(store, server);
  });
  afterAll(async () => {
    await fault?.close();
    await server?.close();
  });

  test('/readyz turns 503 while writes fail, /healthz stays 200, and both recover without a restart', async () => {
    expect(await until(server, '/readyz', 200)).toEqual({ status: 'ok', store });
    await fault.inject();
    expect(await until(server, '/readyz', 503)).toEqual({ status: 'unavailable', store });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await fault.clear();
    expect(await until(server, '/readyz', 200)).toEqual({ status: 'ok', store });
  });
});
