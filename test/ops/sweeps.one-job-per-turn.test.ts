// The periodic clean-up does not hold the event loop for all its jobs at once: each job (a synchronous delete on
// SQLite) runs in its own turn, so requests and timers get in between; and every job still runs.
import { randomUUID } from 'node:crypto';
import { runSweep } from '../../server/sweeps.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';

describe.each(STORES)('the periodic sweep (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('runs its jobs one event-loop turn apart, and each of them does its work', async () => {
    const { config, storage, audit, coupons, exports, erasure, merges, logger } = server.container;
    const expired = `sweep-${randomUUID()}`;
    const live = `sweep-${randomUUID()}`;
    await storage.oidc.upsert('AccessToken', expired, { jti: expired }, 1);
    await storage.oidc.upsert('AccessToken', live, { jti: live }, 3600);

    // Turns of the event loop that pass while the sweep runs: a chain of immediates advances once per turn.
    let turns = 0;
    let sweeping = true;
    const count = () => {
      turns += 1;
      if (sweeping) setImmediate(count);
    };
    setImmediate(count);
    // Two seconds on: the first row has expired, the second has not (audit retention runs on a first pass too).
    await runSweep({ config, storage, audit, coupons, exports, erasure, merges, logger }, new Date(Date.now() + 2_000), { auditRetainedAt: 0 });
    sweeping = false;

    // Sixteen jobs, each started on a turn of its own (before: all in the timer's one turn on SQLite).
    expect(turns).toBeGreaterThanOrEqual(16);
    // The expiry job ran: nothing expired is left for another pass, and the live token is still there.
    expect(await storage.oidc.sweepExpired(new Date(Date.now() + 2_000))).toBe(0);
    expect(await storage.oidc.find('AccessToken', live)).toMatchObject({ jti: live });
  });
});
